/**
 * Node entry: the same API as the browser entry, with the platform filled in:
 * @roamhq/wrtc for WebRTC and `ws` for trackers and bridges.
 */
import wrtc from '@roamhq/wrtc'
import WebSocket from 'ws'
import { Swarm as BaseSwarm } from './swarm.js'
import type { SwarmOptions } from './swarm/options.js'
import type { WebSocketConstructor } from './transport/ws-link.js'

export * from './index.js'

export class Swarm extends BaseSwarm {
  constructor(topic: string, options: SwarmOptions = {}) {
    super(topic, {
      ...options,
      rtc: options.rtc ?? (wrtc as unknown as NonNullable<SwarmOptions['rtc']>),
      WebSocket: options.WebSocket ?? (WebSocket as unknown as WebSocketConstructor),
    })
  }
}
