import Reactor

/// A room's members on one event loop. A message for the room is encoded once by the
/// caller; `deliver` queues that same buffer on every member, applying the slow-consumer
/// policy (skip conflatable updates above the high watermark, disconnect above the limit).
/// Each loop holds its own `Room` per room name, so delivery never crosses threads per
/// member; a publish crosses once per loop.
final class Room {
    private var members = IndexedList(position: \WebSocketEndpointConnection.roomIndex)

    var count: Int { members.count }
    func join(_ member: WebSocketEndpointConnection) { members.append(member) }
    func leave(_ member: WebSocketEndpointConnection) { members.remove(member) }

    /// Queues `frame` on every member but `except`. `conflatable`: a newer update will
    /// replace this one, so a slow member may skip it.
    func deliver(_ frame: OutboundBytes, except: WebSocketEndpointConnection? = nil, conflatable: Bool = false, context: LoopContext) {
        let stats = context.loop.stats
        var delivered = 0
        // A slow-consumer close inside the loop removes that member from `members`.
        var i = 0
        while i < members.count {
            let member = members[i]
            i += 1
            if member === except { continue }
            switch member.offer(frame, conflatable: conflatable) {
            case .queued: delivered += 1
            case .skipped: stats.conflatedDrops.bump()
            case .disconnected: i -= 1  // the last member moved into this slot
            }
        }
        stats.messagesOut.bump(delivered)
    }
}

enum OfferResult {
    case queued
    case skipped
    case disconnected
}
