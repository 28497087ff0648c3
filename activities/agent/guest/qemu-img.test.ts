import { qemuImgCreateArgs } from './qemu-img';

it('creates a quiet qcow2 image of the exact size in bytes', () => {
  expect(qemuImgCreateArgs('/w/fleece-0.qcow2', 64 * 1024 * 1024)).toEqual(['create', '-q', '-f', 'qcow2', '/w/fleece-0.qcow2', '67108864']);
});
