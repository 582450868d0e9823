/** Output helpers of the `peerweave` command: human lines and JSON events. */
import type { Data, Message, PeerInfo } from '../swarm.js'

/** The first characters of an address, enough to tell peers apart on screen. */
export function short(address: string): string {
  return address.slice(0, 8)
}

/** A message body as one line of text. */
export function dataText(data: Data): string {
  if (typeof data === 'string') return data
  if (data instanceof Uint8Array) return `<${data.length} bytes> ${Buffer.from(data).toString('hex').slice(0, 64)}`
  return JSON.stringify(data)
}

/** A message body as a JSON-safe value, with its kind (bytes travel as base64). */
export function dataJson(data: Data): { dataType: 'string' | 'bytes' | 'json'; data: unknown } {
  if (typeof data === 'string') return { dataType: 'string', data }
  if (data instanceof Uint8Array) return { dataType: 'bytes', data: Buffer.from(data).toString('base64') }
  return { dataType: 'json', data }
}

export function messageLine(msg: Message): string {
  return `${short(msg.from)} (hops ${msg.hops}${msg.direct ? ', direct' : ''}): ${dataText(msg.data)}`
}

export function messageEvent(msg: Message): Record<string, unknown> {
  return {
    event: 'message',
    id: msg.id,
    from: msg.from,
    hops: msg.hops,
    direct: msg.direct,
    kind: msg.kind,
    type: msg.type,
    wantsReply: msg.wantsReply,
    ...dataJson(msg.data),
  }
}

export function peerEvent(event: 'connect' | 'disconnect', peer: PeerInfo): Record<string, unknown> {
  return { event, address: peer.address, transport: peer.transport, direction: peer.direction, metadata: peer.metadata ?? null }
}

export interface Status {
  neighbours: number
  known: number | undefined
  messagesIn: number
  messagesOut: number
}

export function statusLine(s: Status): string {
  const known = s.known === undefined ? '' : `, known ${s.known}`
  return `[status] neighbours ${s.neighbours}${known}, messages in ${s.messagesIn}, out ${s.messagesOut}`
}
