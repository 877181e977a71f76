import Hub
import Money
import Reactor
import Records

/// Where the money engine's committed effects go: balance updates straight to every loop
/// (one task per loop per batch; a loop encodes one only for a user it has sockets for),
/// open problems into the publication, and to the hub's services, each through its inbox:
/// the problems that opened or closed and the alerts to the seller broadcast, the alerts
/// to deliver to the webhook, the payment errors other nodes recorded to the cluster's
/// presence. Runs on the engine's thread, after the COMMIT and before the batch's answers
/// leave.
final class MoneyEffects: @unchecked Sendable {
    // @unchecked: `shared` is set once, before the engine's first batch.
    var shared: ServerShared?

    func deliver(_ effects: [MoneyEffect]) {
        guard let shared else { return }
        var balances: [BalancePush] = []
        var announced: [Alert] = []
        var toDeliver: [Alert] = []
        var errorsElsewhere: [PaymentErrorRecord] = []
        var opened: [RoomMessage] = []
        var closed: [RoomMessage] = []
        for effect in effects {
            switch effect {
            case .balanceChanged(let t, let pushed, let unseen):
                shared.hubMetrics.balancePush()
                shared.email.metrics.notification(pushed: pushed)
                balances.append(.ledger(t, pushed: pushed, unseen))
            case .notified(let notification, let unseen):
                shared.email.metrics.notification(pushed: true)
                balances.append(.notification(notification, unseen))
            case .unseenChanged(let userId, let unseen):
                balances.append(.unseen(userId, unseen))
            case .openProblems(let payments):
                let change = shared.publication.publish(openGaps: payments)
                opened += change.opened.map(MoneyMessages.gapFrame)
                closed += change.closed.map(MoneyMessages.gapClosedFrame)
            case .committed(let writes, let seconds):
                shared.hubMetrics.commit(writes: writes, seconds: seconds)
            case .alertRaised(let alert, let deliver, let announce):
                if announce { announced.append(alert) }
                if deliver {
                    toDeliver.append(alert)
                } else if announce {
                    shared.hubMetrics.alertDelivery(.notConfigured)
                }
            case .paymentErrorsElsewhere(let records):
                errorsElsewhere += records
            }
        }
        if !balances.isEmpty {
            let updates = balances, contexts = shared.contexts
            for handle in shared.handles {
                handle.execute { loop in
                    guard let context = contexts[loop] else { return }
                    for update in updates { context.balanceRooms.deliver(update, context: context) }
                }
            }
        }
        let inbox = shared.hubInbox
        if !opened.isEmpty || !announced.isEmpty || !closed.isEmpty {
            inbox.sellers(.moneyCommitted(opened: opened, alerts: announced, closed: closed))
        }
        if !toDeliver.isEmpty { inbox.deliver(toDeliver) }
        if !errorsElsewhere.isEmpty { inbox.cluster(.paymentErrors(errorsElsewhere)) }
    }
}
