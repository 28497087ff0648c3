import { dataExtents, dirtyExtents, NbdMapError, parseNbdMap } from './nbd-map';

const doc = (entries: object[]) => JSON.stringify(entries);

describe('parseNbdMap', () => {
  it('reads the extents of a map that tiles the disk', () => {
    const json = doc([
      { offset: 0, length: 65536, type: 0, description: 'clean' },
      { offset: 65536, length: 131072, type: 1, description: 'dirty' },
      { offset: 196608, length: 65536, type: 0, description: 'clean' },
    ]);
    expect(parseNbdMap(json, 262144)).toEqual([
      { offset: 0, length: 65536, type: 0 },
      { offset: 65536, length: 131072, type: 1 },
      { offset: 196608, length: 65536, type: 0 },
    ]);
  });

  it.each([
    ['not JSON', 'nbdinfo: error', /not JSON/],
    ['not a list', '{"offset":0}', /no list/],
    ['a gap', doc([{ offset: 0, length: 10, type: 0 }, { offset: 20, length: 80, type: 0 }]), /do not follow/],
    ['an overlap', doc([{ offset: 0, length: 60, type: 0 }, { offset: 50, length: 50, type: 0 }]), /do not follow/],
    ['too short', doc([{ offset: 0, length: 60, type: 0 }]), /covers 60 bytes of a 100-byte disk/],
    ['a zero length', doc([{ offset: 0, length: 0, type: 0 }, { offset: 0, length: 100, type: 0 }]), /malformed/],
    ['a string offset', doc([{ offset: '0', length: 100, type: 0 }]), /malformed/],
  ])('refuses %s rather than guess', (_, json, message) => {
    expect(() => parseNbdMap(json, 100)).toThrow(NbdMapError);
    expect(() => parseNbdMap(json, 100)).toThrow(message);
  });
});

describe('extents by type', () => {
  const entries = [
    { offset: 0, length: 10, type: 1 },
    { offset: 10, length: 10, type: 1 },
    { offset: 20, length: 10, type: 0 },
    { offset: 30, length: 5, type: 1 },
  ];

  it('merges neighbouring dirty extents', () => {
    expect(dirtyExtents(entries)).toEqual([
      { offset: 0, length: 20 },
      { offset: 30, length: 5 },
    ]);
  });

  it('takes as data what is neither a hole reading zeros nor zero (base:allocation)', () => {
    // type 3 = hole+zero, 2 = zero (allocated zeros), 1 = hole that reads data (backing), 0 = data.
    const alloc = [
      { offset: 0, length: 10, type: 3 },
      { offset: 10, length: 10, type: 0 },
      { offset: 20, length: 10, type: 1 },
      { offset: 30, length: 10, type: 2 },
    ];
    expect(dataExtents(alloc)).toEqual([{ offset: 10, length: 20 }]);
  });
});
