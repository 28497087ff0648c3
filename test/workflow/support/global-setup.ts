// Jest global setup of the workflow project: opens Temporal's native bridge once for the
// process, outside any test.
//
// The bridge (a Neon addon, loaded once per process) creates two threadsafe functions on its
// first asynchronous call and keeps them for the life of the process. They are unreferenced,
// so they never hold the process open, but jest's --detectOpenHandles cannot ask a native
// handle whether it is referenced and would report them against whichever test made that
// first call. Made here, that call belongs to the process; what the detector then reports is
// what a test left open. The call is a connection attempt to a closed port: it fails in a
// few milliseconds and leaves nothing behind.
import { NativeConnection } from '@temporalio/worker';

export default async function openTemporalBridge(): Promise<void> {
  await NativeConnection.connect({ address: '127.0.0.1:1' }).then(
    (c) => c.close(),
    () => undefined,
  );
}
