/**
 * Imported for its effect by every live test file that opens WebRTC connections.
 *
 * @roamhq/wrtc 0.10 now and then crashes (SIGSEGV/SIGABRT) in its native cleanup when
 * Node exits normally, after every test in the file has passed (WonderInventions/
 * node-webrtc issues 7 and 35): test/live/hostile-tracker.test.ts met it 2 runs in 6,
 * test/live/swarm.test.ts 1 run in 10 in session 5, and node:test counts the crash as a
 * failed file. Exiting from beforeExit skips that cleanup; the exit code (1 when a test
 * failed) is kept.
 */
process.once('beforeExit', (code) => process.exit(code))
