import Hub
import Reactor

/// The way into the hub's loop from any thread: one method per service, each taking that
/// service's own message type, so nothing reaches a service it cannot handle and no
/// closure reaches into one. Each message is one task on the hub's loop, run in the order
/// sent; the service is found through the loop's context (`LoopContexts`), typed.
struct HubInbox: Sendable {
    let hubLoop: EventLoopHandle
    let contexts: LoopContexts

    /// One loop turn's tasks from another loop (`HubClient`): presence commands are replied
    /// to in one task back to `origin`, after the publication they caused.
    func tasks(_ batch: [(HubTask, UInt64)], from origin: EventLoopHandle) {
        let contexts = self.contexts
        hubLoop.execute { loop in
            guard let services = contexts[loop]?.hub else { return }
            let replies = services.apply(batch: batch, from: origin)
            guard !replies.isEmpty else { return }
            origin.execute { loop in contexts[loop]?.hubClient.deliver(replies) }
        }
    }

    func presence(_ message: PresenceService.Message) {
        let contexts = self.contexts
        hubLoop.execute { loop in contexts[loop]?.hub?.presence.receive(message) }
    }

    func sellers(_ message: SellerBroadcast.Message) {
        let contexts = self.contexts
        hubLoop.execute { loop in contexts[loop]?.hub?.broadcast.receive(message) }
    }

    func cluster(_ message: ClusterPresence.Message) {
        let contexts = self.contexts
        hubLoop.execute { loop in contexts[loop]?.hub?.cluster.receive(message) }
    }

    func erasures(_ message: ErasureFlow.Message) {
        let contexts = self.contexts
        hubLoop.execute { loop in contexts[loop]?.hub?.erasures.receive(message) }
    }

    /// Alerts the money engine committed for `--alert-webhook` (the hub's loop sends them).
    func deliver(_ alerts: [Alert]) {
        let contexts = self.contexts
        hubLoop.execute { loop in
            guard let dispatcher = contexts[loop]?.hub?.alerts else { return }
            for alert in alerts { dispatcher.send(alert) }
        }
    }
}
