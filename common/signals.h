#pragma once

namespace warren {

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards; call
// it first thing in main, before any library starts threads.
void BlockTerminationSignals();
// Waits until SIGINT or SIGTERM arrives and returns its number. A synchronous wait, so the
// shutdown that follows runs in normal thread context, not in a signal handler.
int WaitForTerminationSignal();

}  // namespace warren
