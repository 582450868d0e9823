/**
 * Imported for its effect by every live test file that opens WebRTC connections.
 *
 * @roamhq/wrtc 0.10 now and then crashes (SIGSEGV/SIGABRT) in its native cleanup when
 * Node exits normally, after every test in the file has passed (WonderInventions/
 * node-webrtc issues 7 and 35): test/live/hostile-tracker.test.ts met it 2 runs in 6,
 * test/live/swarm.test.ts 1 run in 10 in session 5, and node:test counts the crash as a
 * failed file. Exiting from beforeExit skips that cleanup; the exit code (1 when a test
 * failed) is kept.
 *
 * That exit also comes before node:test prints what it caught after a test had ended
 * (an exception thrown from a socket's event handler sets the exit code to 1 and nothing
 * more), so such errors are printed here: session 9 found a ByteArena overrun this way
 * behind a file that failed with every test passing.
 */
const report = (what: string) => (err: unknown) => {
  process.stderr.write(`# ${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
}
process.on('uncaughtExceptionMonitor', report('uncaught exception'))
process.on('unhandledRejection', (err) => {
  // A listener stops Node's own crash on an unhandled rejection: fail the file instead.
  report('unhandled rejection')(err)
  process.exitCode = 1
})
process.once('beforeExit', (code) => process.exit(code))
