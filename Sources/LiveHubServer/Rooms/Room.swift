import Reactor

/// The rooms a loop holds a share of.
enum RoomName: Sendable {
    case broadcast
    case seller
}

/// A room's members on one event loop. A message for the room is encoded once by the
/// caller; `deliver` queues that same buffer on every member, applying the slow-consumer
/// policy (skip conflatable updates above the high watermark, disconnect above the limit).
/// Each loop holds its own `Room` per room name, so delivery never crosses threads per
/// member; a publish crosses once per loop.
final class Room {
    private var members = IndexedList(position: \WebSocketEndpointConnection.roomIndex)

    /// Told the member count after each join and leave (for /metrics).
    private let onCountChange: (Int) -> Void

    init(onCountChange: @escaping (Int) -> Void = { _ in }) {
        self.onCountChange = onCountChange
    }

    var count: Int { members.count }

    func join(_ member: WebSocketEndpointConnection) {
        members.append(member)
        onCountChange(members.count)
    }

    func leave(_ member: WebSocketEndpointConnection) {
        members.remove(member)
        onCountChange(members.count)
    }

    func forEachMember(_ body: (WebSocketEndpointConnection) -> Void) {
        for member in members.elements { body(member) }
    }

    /// Queues `message` on every member but `except`. `conflatable`: a newer update will
    /// replace this one, so a slow member may skip it.
    /// `include`: a last say per member (a balance socket drops what its replay already gave it).
    func deliver(_ message: RoomMessage, except: WebSocketEndpointConnection? = nil, conflatable: Bool = false, context: LoopContext,
                 include: ((WebSocketEndpointConnection) -> Bool)? = nil) {
        let counters = context.counters
        var delivered = 0
        var compressed = CompressedFrames()
        // A slow-consumer close inside the loop removes that member from `members`.
        var i = 0
        while i < members.count {
            let member = members[i]
            i += 1
            if member === except { continue }
            if let include, !include(member) { continue }
            switch member.offer(compressed.frame(of: message, for: member.deflate, context: context), conflatable: conflatable) {
            case .queued: delivered += 1
            case .skipped: counters.conflatedDrops.bump()
            case .disconnected: i -= 1  // the last member moved into this slot
            }
        }
        counters.messagesOut.bump(delivered)
    }
}

enum OfferResult {
    case queued
    case skipped
    case disconnected
}
