import Reactor

/// A room's members on one event loop. A message for the room is encoded once by the
/// caller; `deliver` queues that same buffer on every member, applying the slow-consumer
/// policy (skip conflatable updates above the high watermark, disconnect above the limit).
/// Each loop holds its own `Room` per room name, so delivery never crosses threads per
/// member; a publish crosses once per loop.
final class Room {
    private(set) var members: [WebSocketEndpointConnection] = []

    var count: Int { members.count }

    func join(_ member: WebSocketEndpointConnection) {
        guard member.roomIndex < 0 else { return }
        member.roomIndex = members.count
        members.append(member)
    }

    func leave(_ member: WebSocketEndpointConnection) {
        let index = member.roomIndex
        guard index >= 0, index < members.count, members[index] === member else { return }
        let last = members.removeLast()
        if index < members.count {
            members[index] = last
            last.roomIndex = index
        }
        member.roomIndex = -1
    }

    /// Queues `frame` on every member but `except`. `conflatable`: a newer update will
    /// replace this one, so a slow member may skip it.
    func deliver(_ frame: OutboundBytes, except: WebSocketEndpointConnection? = nil, conflatable: Bool = false, context: LoopContext) {
        let stats = context.loop.stats
        var delivered = 0
        // Iterate over a copy of the indices' storage: a slow-consumer close inside the
        // loop removes that member from `members`.
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
