import { listenAddress } from './config';
import { bindAddressOf, temporalRuntimeOptions } from './temporal-runtime';

describe('listenAddress', () => {
  it('is off when unset or empty', () => {
    expect(listenAddress('X', {})).toBeNull();
    expect(listenAddress('X', { X: '' })).toBeNull();
  });
  it('reads host:port, IPv6 in brackets', () => {
    expect(listenAddress('X', { X: '0.0.0.0:9471' })).toEqual({ host: '0.0.0.0', port: 9471 });
    expect(listenAddress('X', { X: 'worker.internal:9471' })).toEqual({ host: 'worker.internal', port: 9471 });
    expect(listenAddress('X', { X: '[::1]:9471' })).toEqual({ host: '::1', port: 9471 });
  });
  it('refuses what is not host:port, naming the variable', () => {
    for (const bad of ['9471', '0.0.0.0', '0.0.0.0:0', 'h:70000', 'h:port', ':9471']) expect(() => listenAddress('BACKSTOP_X', { BACKSTOP_X: bad })).toThrow(/BACKSTOP_X must be host:port/);
  });
});

describe('temporalRuntimeOptions', () => {
  it('binds the SDK’s Prometheus exporter where asked, durations in seconds, tagged with the process', () => {
    expect(temporalRuntimeOptions({ host: '0.0.0.0', port: 9471 }, 'agent')).toEqual({
      telemetryOptions: { metrics: { prometheus: { bindAddress: '0.0.0.0:9471', useSecondsForDurations: true }, globalTags: { backstop_process: 'agent' } } },
    });
  });
  it('brackets an IPv6 host', () => {
    expect(bindAddressOf({ host: '::', port: 9471 })).toBe('[::]:9471');
  });
});
