import Reactor

/// The rooms a loop holds a share of.
enum RoomName: Sendable {
    case broadcast
    case seller
}

/// A room's members on one event loop. A message for the room is encoded once by the
/// caller. `deliver` keeps it for the end of the loop turn; then every member gets all of
/// the turn's messages meant for it with one gathered write straight from the shared
/// frames (`TCPConnection.write(gathering:)`), under the slow-consumer policy (skip
/// conflatable updates above the high watermark, disconnect above the limit). So a
/// delivery to a member that keeps up costs a pointer in an iovec: no queue entry, no
/// reference count, and one system call per member per turn however many messages.
///
/// A member's own sends in that turn (none of today's roles makes one after it joined)
/// go out before the turn's room messages. A member that joins during a turn gets only
/// the messages delivered after it joined, as if they had been sent at once.
///
/// Each loop holds its own `Room` per room name, so delivery never crosses threads per
/// member; a publish crosses once per loop.
final class Room {
    private var members = IndexedList(position: \WebSocketEndpointConnection.roomIndex)
    /// This turn's messages, in delivery order.
    private var turn: [RoomDelivery] = []
    /// Members that joined after some of this turn's messages: where their share starts.
    private var joinedMidTurn: [ObjectIdentifier: Int] = [:]
    /// One member's frames for its gathered write (kept: the room's largest turn so far).
    private var gathered = UnsafeMutableBufferPointer<Unmanaged<OutboundBytes>>(start: nil, count: 0)

    /// Told the member count after each join and leave (for /metrics).
    private let onCountChange: (Int) -> Void

    init(onCountChange: @escaping (Int) -> Void = { _ in }) {
        self.onCountChange = onCountChange
    }

    deinit { gathered.deallocate() }

    var count: Int { members.count }

    func join(_ member: WebSocketEndpointConnection) {
        if !turn.isEmpty { joinedMidTurn[ObjectIdentifier(member)] = turn.count }
        members.append(member)
        onCountChange(members.count)
    }

    func leave(_ member: WebSocketEndpointConnection) {
        if !joinedMidTurn.isEmpty { joinedMidTurn[ObjectIdentifier(member)] = nil }
        members.remove(member)
        onCountChange(members.count)
    }

    func forEachMember(_ body: (WebSocketEndpointConnection) -> Void) {
        for member in members.elements { body(member) }
    }

    /// Queues `message` for every member but `except`, written at the end of this turn.
    /// `conflatable`: a newer update will replace this one, so a slow member may skip it.
    func deliver(_ message: RoomMessage, except: WebSocketEndpointConnection? = nil, conflatable: Bool = false, context: LoopContext) {
        guard !members.isEmpty else { return }
        if turn.isEmpty { context.loop.atEndOfTurn { [self] in writeTurn(context: context) } }
        turn.append(RoomDelivery(message: message, except: except, conflatable: conflatable))
    }

    /// Queues `message` at once on the members `include` accepts, each asked at the moment
    /// of the call (a balance socket drops what its replay already gave it).
    func deliverNow(_ message: RoomMessage, context: LoopContext, include: (WebSocketEndpointConnection) -> Bool) {
        var delivered = 0
        var compressed = CompressedFrames()
        // A slow-consumer close inside the loop removes that member from `members`.
        var i = 0
        while i < members.count {
            let member = members[i]
            i += 1
            guard include(member) else { continue }
            switch member.offer(compressed.frame(of: message, for: member.deflate, context: context), conflatable: false) {
            case .queued: delivered += 1
            case .skipped: context.counters.conflatedDrops.bump()
            case .disconnected: i -= 1  // the last member moved into this slot
            }
        }
        context.counters.messagesOut.bump(delivered)
    }

    /// The end of the turn: every member's share of the turn's messages, in one write each.
    private func writeTurn(context: LoopContext) {
        var deliveries: [RoomDelivery] = []
        swap(&deliveries, &turn)
        if gathered.count < deliveries.count {
            gathered.deallocate()
            gathered = .allocate(capacity: max(deliveries.count, 2 * gathered.count))
        }
        let highWatermark = context.configuration.highWatermark
        let maxBackpressure = context.configuration.maxBackpressure
        var delivered = 0
        var skipped = 0
        var i = 0
        while i < members.count {
            let member = members[i]
            let first = joinedMidTurn.isEmpty ? 0 : joinedMidTurn[ObjectIdentifier(member)] ?? 0
            // What this member would hold unwritten if the kernel took nothing: the policy's
            // measure, as if each message had been queued when it was delivered.
            var held = member.tcp.queuedBytes
            var count = 0
            var tooSlow = false
            for j in first..<deliveries.count where deliveries[j].except !== member {
                if held > maxBackpressure {
                    tooSlow = true
                    break
                }
                if deliveries[j].conflatable && held > highWatermark {
                    skipped += 1
                    continue
                }
                let frame = member.deflate == nil ? deliveries[j].message.frame
                    : deliveries[j].compressed.frame(of: deliveries[j].message, for: member.deflate, context: context)
                gathered[count] = Unmanaged.passUnretained(frame)
                count += 1
                held += frame.count
            }
            if tooSlow {
                member.closeSlowConsumer()
            } else {
                member.tcp.write(gathering: UnsafeBufferPointer(rebasing: gathered[0..<count]))
                delivered += count
            }
            // A close (too slow, or the peer gone mid-write) takes the member out of the
            // list, and the last member moves into its slot: that slot is looked at again.
            if i < members.count && members[i] === member { i += 1 }
        }
        joinedMidTurn.removeAll()
        context.counters.messagesOut.bump(delivered)
        if skipped > 0 { context.counters.conflatedDrops.bump(skipped) }
        deliveries.removeAll(keepingCapacity: true)
        if turn.isEmpty { swap(&deliveries, &turn) }  // keep the capacity for the next turn
    }
}

/// One message of a room's turn, with its compressed frames made at most once per window
/// size on this loop.
private struct RoomDelivery {
    let message: RoomMessage
    let except: WebSocketEndpointConnection?
    let conflatable: Bool
    var compressed = CompressedFrames()
}

enum OfferResult {
    case queued
    case skipped
    case disconnected
}
