import Hub

/// `/ws/seller` members on one loop, and what they have been sent: a seller joining gets
/// the state (live metrics, the recent payment errors, the open gaps), then the room's
/// updates, both on this loop's thread, so no update slips in between.
final class SellerRoom {
    private let room: Room
    /// The newest payment error this loop's sellers have been sent (in a
    /// `payment-errors-update`, or in the state at start). A seller joining here gets the
    /// errors up to it, and the updates after it: none twice, none missed.
    var errorsUpTo: Int64 = 0

    init(counters: ServerCounters) {
        room = Room { counters.sellerRoomMembers.store($0, ordering: .relaxed) }
    }

    func join(_ socket: WebSocketEndpointConnection, context: LoopContext) {
        let state = context.shared.publication.read()
        socket.send(HubMessages.frame(type: "metrics-update", data: state.liveMetrics))
        let sent = state.recentErrors.lazy.filter { $0.id <= self.errorsUpTo }.prefix(50)
        socket.send(HubMessages.frame(type: "payment-errors-update", data: HubMessages.paymentErrors(Array(sent))))
        for gap in state.openGaps { socket.send(gap) }
        room.join(socket)
    }

    func leave(_ socket: WebSocketEndpointConnection) { room.leave(socket) }

    /// An update for every seller here; `errorsUpTo`: the newest payment error it carries.
    func deliver(_ frame: RoomMessage, conflatable: Bool, except: WebSocketEndpointConnection?, errorsUpTo: Int64?, context: LoopContext) {
        room.deliver(frame, except: except, conflatable: conflatable, context: context)
        if let errorsUpTo { self.errorsUpTo = max(self.errorsUpTo, errorsUpTo) }
    }
}
