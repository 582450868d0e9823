// simple-peer 9 looks up the page's RTC globals itself only when it is given no `wrtc`.
// peerweave always gives it one (src/index.ts takes the page's RTCPeerConnection), so
// the lookup is never used: answering "none" keeps its code out of the CDN bundle.
module.exports = () => null
