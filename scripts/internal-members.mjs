// The property names the browser bundles rename (scripts/build.mjs, esbuild mangleProps).
/**
 * Private members of our own classes that the browser bundle may rename. Only names used
 * as plain property accesses belong here: a name that is also an option, a field of a
 * wire format (tracker JSON, packets), public API, or is ever looked up by a string would
 * break (tests/package and the Playwright suites run the renamed bundle, and
 * test/package/internal-members.test.ts fails on a name the published types declare).
 */
export const INTERNAL_MEMBERS = [
  'reverseRoutes', 'originKeys', 'lazyQueue', 'lastImproveAt', 'lastDiscoverAt', 'knownDirty',
  'rootHold', 'pexTimer', 'pexSkip', 'verifying', 'sendPacket', 'sendSignal', 'schedulePex',
  'pexPacket', 'queueDigest', 'flushOne', 'flushTimer', 'internKeyBytes', 'internKey',
  'isCandidate', 'retraceHop', 'resumeWalksSentTo', 'afterVerify', 'onDuplicate', 'updateTree',
  'holdRoot', 'makeRoom', 'inFlight', 'improving', 'plumtree', 'refusedIfYoung',
  'learnStoredMeshPeers', 'storedMeshPeers', 'deliverBatch', 'backlogBytes', 'createRtcDialer',
  'meshDials', 'outboxes', 'wakeTimer', 'clearTimers', 'lowerBound', 'closestIn', 'cachedHex',
  'feedBytes', 'updateWanted', 'wantReason', 'startedSent', 'storeSync', 'sealThen', 'scoreOf',
  'needLinks', 'linkOpened', 'openedAt', 'aliveAt', 'reschedule', 'scheduler', 'dialReasons',
  'trackerOffers', 'slotsUsed', 'targetDegree', 'onPex', 'onMsg', 'onBack', 'onAck', 'onSignal',
  'unconfirmed', 'signWalk', 'signDigest', 'signCopy', 'linkTagged', 'sentOn', 'isNear',
  'onDrain', 'onFrame', 'setBusy', 'peerInfo', 'backOff', 'newKey', 'maxLinkBytes', 'neighbours',
  'outstanding', 'pending', 'budget', 'timestampMs', 'originKey', 'envelope', 'contentType',
  'tried', 'retrace', 'walks', 'missing', 'tree', 'requests', 'timer', 'connections', 'known', 'parent',
  'purpose', 'degree', 'macInput', 'linkKey', 'isolated', 'islandSince',
  'trackerSwarmSize', 'swarmSizeHint', 'farView', 'wantedLinks', 'attempts', 'linkFailed',
  'setHandshakeHandler', 'neighbourList', 'notBefore', 'lowDegree', 'announcers', 'stopping',
  'unansweredMs', 'clearTimer', 'isBanned', 'throttle', 'lonelyMs', 'sentAt', 'cancelled', 'linkDown',
  'islandShuffleDue', 'islandCheckedAt', 'bridges', 'answered', 'wanted', 'announced', 'expecting',
  'trackerUpdate', 'trackerAnswer', 'trackerOffer', 'answerThroughMesh', 'offersForTracker', 'speculative',
  'twoHopsAway', 'victim', 'tracker', 'expectedAddress', 'defense', 'abandon', 'discover', 'schedule',
  'rebalance', 'offerId', 'peerId', 'infoHash', 'trackerUrl', 'cancel', 'root', 'neighbour',
  'announce', 'fail', 'payload', 'remaining', 'viaTracker', 'closed', 'clock', 'banned', 'membership', 'node', 'links',
  'keepalive', 'unreachable', 'spread', 'recentIds', 'isTreeLink', 'runDue', 'addedAtMs', 'lastSentAt', 'succeeded',
  'nextWakeAt', 'keepaliveOnRebalance', 'walkBytes', 'arena', 'keep', 'used', 'maxMessages',
  'lastError', 'busy', 'heap', 'pacing', 'saving', 'writing', 'aborts', 'retry', 'settle', 'rng',
  'refused', 'shuffle', 'announceTimer', 'hex', 'view', 'sparse', 'handlers',
  'metadataBook', 'metadataJson', 'metadataFor', 'knownMetadata',
  'openReply', 'answerMetadataQuery', 'byAddress', 'debugLine', 'checkedHopLimit',
  'presenceEveryMs', 'presenceTimer', 'heardPresence', 'presenceLeft', 'sendPresence', 'presenceTick',
]
