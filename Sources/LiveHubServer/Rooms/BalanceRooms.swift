import Hub

/// `/ws/balance` sockets on one loop: a room per wallet user, made on its first socket and
/// dropped with its last, and the count of them all (for /metrics).
final class BalanceRooms {
    private var rooms: [String: Room] = [:]
    private let counters: ServerCounters

    init(counters: ServerCounters) {
        self.counters = counters
    }

    func join(_ socket: WebSocketEndpointConnection, userId: String) {
        let room = rooms[userId] ?? Room()
        rooms[userId] = room
        room.join(socket)
        counters.balanceRoomMembers.bump()
    }

    func leave(_ socket: WebSocketEndpointConnection, userId: String) {
        guard let room = rooms[userId] else { return }
        room.leave(socket)
        counters.balanceRoomMembers.bump(-1)
        if room.count == 0 { rooms[userId] = nil }
    }

    /// A committed transaction's balance update, encoded only if this loop has sockets
    /// for its user.
    func deliver(_ push: BalancePush, context: LoopContext) {
        let linkBase = context.configuration.publicURL
        switch push {
        case .ledger(let t, let pushed, let unseen):
            guard rooms[t.userId] != nil else { return }
            // The notification's words are made here, for a user with sockets on this loop.
            let notification = pushed ? UserNotification.of(t, templates: context.configuration.notifications.templates) : nil
            deliver(to: t.userId, seq: t.userSeq, RoomMessage(opcode: .text, payload: MoneyMessages.balanceUpdate(
                t, notification: notification, unseen: unseen, linkBase: linkBase)), context: context)
        case .notification(let n, let unseen):
            guard rooms[n.userId] != nil else { return }
            let frame = RoomMessage(opcode: .text, payload: NotificationMessages.pushed(n, unseen: unseen, linkBase: linkBase))
            rooms[n.userId]?.deliverNow(frame, context: context) { _ in true }
        case .unseen(let userId, let count):
            guard rooms[userId] != nil else { return }
            rooms[userId]?.deliverNow(RoomMessage(opcode: .text, payload: NotificationMessages.unseen(count)), context: context) { _ in true }
        }
    }

    /// To the user's sockets that do not have it yet (`BalanceSocket.accepts`).
    func deliver(to userId: String, seq: Int64, _ frame: RoomMessage, context: LoopContext) {
        rooms[userId]?.deliverNow(frame, context: context) { ($0.role as? BalanceSocket)?.accepts(seq: seq, on: $0) ?? false }
    }

    /// Cluster mode: a write on some node took the user's balance to `seq`.
    func announced(userId: String, seq: Int64) {
        rooms[userId]?.forEachMember { ($0.role as? BalanceSocket)?.announced(seq: seq, on: $0) }
    }

    /// Cluster mode: announcements may have been missed; every socket reads what it lacks.
    func catchUpAll() {
        for room in rooms.values { room.forEachMember { ($0.role as? BalanceSocket)?.catchUp(on: $0) } }
    }
}

/// What a committed money write sends to a user's balance sockets.
enum BalancePush: Sendable {
    /// A ledger entry (whether its notification is pushed, and the unseen count after it).
    case ledger(LedgerTransaction, pushed: Bool, Int?)
    /// A notification that is no ledger entry's, and the unseen count after it.
    case notification(UserNotification, Int)
    /// The unseen count changed (read, archived).
    case unseen(String, Int)
}
