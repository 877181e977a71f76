import Hub
import Reactor

/// What `/ws/seller` members are sent, all of it from the hub's loop so every seller gets
/// it in one order: the counts and the new payment errors, at most once per
/// `--broadcast-interval`; a heartbeat at each sweep; and what the money side committed
/// (problems opened and closed, alerts). Its inbox: `Message`, from the money engine's
/// thread (`MoneyEffects`).
final class SellerBroadcast {
    /// What reaches the seller broadcast from another thread (`HubInbox.sellers`).
    enum Message: Sendable {
        /// One commit's news, shown in this order: a gap appears before the alert it
        /// raised, and closes after.
        case moneyCommitted(opened: [RoomMessage], alerts: [Alert], closed: [RoomMessage])
    }

    unowned let context: LoopContext
    unowned let presence: PresenceService
    private var broadcastVersion = ShownVersion.never
    /// When sellers were last sent an update, and whether one is waiting for the interval
    /// to pass (`soon`).
    private var broadcastAt: UInt64 = 0
    private var broadcastScheduled = false

    init(context: LoopContext, presence: PresenceService) {
        self.context = context
        self.presence = presence
    }

    func receive(_ message: Message) {
        switch message {
        case .moneyCommitted(let opened, let alerts, let closed):
            for frame in opened { send(frame) }
            for alert in alerts { send(HubMessages.frame(type: "alert", data: MoneyMessages.alert(alert, delivery: nil))) }
            for frame in closed { send(frame) }
        }
    }

    /// A change reaches the sellers at once when their last update is at least one
    /// `--broadcast-interval` old, else when it becomes so: never more than one update
    /// per interval (conflated: one however many changes), and a beacon after a quiet
    /// spell waits for no tick.
    func soon() {
        guard !broadcastScheduled, presence.shownVersion != broadcastVersion || presence.hub.hasUnsentPaymentErrors else { return }
        let due = broadcastAt + context.configuration.broadcastInterval.nanoseconds
        let now = EventLoop.now
        guard due > now else { return broadcast(now: now) }
        broadcastScheduled = true
        context.loop.schedule(afterNanoseconds: due - now) { [unowned self] in
            broadcastScheduled = false
            broadcast(now: EventLoop.now)
        }
    }

    /// The latest counts and the new payment errors, each encoded once for every seller.
    private func broadcast(now: UInt64) {
        broadcastAt = now
        let version = presence.shownVersion
        if version != broadcastVersion {
            broadcastVersion = version
            let frame = HubMessages.frame(type: "metrics-update", data: presence.shown.liveMetrics)
            context.shared.deliver(to: .seller, frame, conflatable: true, from: context)
        }
        let newErrors = presence.takeNewPaymentErrors()
        if !newErrors.isEmpty {
            let frame = HubMessages.frame(type: "payment-errors-update", data: HubMessages.paymentErrors(newErrors.reversed()))
            context.shared.deliver(to: .seller, frame, conflatable: false, errorsUpTo: newErrors.last?.id, from: context)
        }
    }

    /// At every sweep: sellers know the hub is there even when nothing changes.
    func heartbeat() {
        context.shared.deliver(to: .seller, HubMessages.frame(type: "metrics-heartbeat", data: nil), conflatable: true, from: context)
    }

    private func send(_ frame: RoomMessage) {
        context.shared.deliver(to: .seller, frame, conflatable: false, from: context)
    }
}
