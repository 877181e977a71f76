import Hub
import Money
import Reactor
import Records

/// Where the money engine's committed effects go: balance updates straight to every loop
/// (one task per loop per batch; a loop encodes one only for a user it has sockets for),
/// open problems into the publication, and alerts and the problems that opened or closed
/// to the hub's loop, which tells the sellers and hands alerts to the webhook.
/// Runs on the engine's thread, after the COMMIT and before the batch's answers leave.
final class MoneyEffects: @unchecked Sendable {
    // @unchecked: `shared` is set once, before the engine's first batch.
    var shared: ServerShared?

    func deliver(_ effects: [MoneyEffect]) {
        guard let shared else { return }
        var balances: [LedgerTransaction] = []
        var forHub: [MoneyEffect] = []
        var opened: [RoomMessage] = []
        var closed: [RoomMessage] = []
        for effect in effects {
            switch effect {
            case .balanceChanged(let t):
                shared.hubMetrics.balancePush()
                balances.append(t)
            case .openProblems(let payments):
                let change = shared.publication.publish(openGaps: payments)
                opened += change.opened.map(MoneyMessages.gapFrame)
                closed += change.closed.map(MoneyMessages.gapClosedFrame)
            case .committed(let writes, let seconds):
                shared.hubMetrics.commit(writes: writes, seconds: seconds)
            case .alertRaised, .paymentErrorsElsewhere:
                forHub.append(effect)
            }
        }
        if !balances.isEmpty {
            let updates = balances, contexts = shared.contexts
            for handle in shared.handles {
                handle.execute { loop in
                    guard let context = contexts[loop] else { return }
                    for t in updates { context.balanceRooms.deliver(t, context: context) }
                }
            }
        }
        if !forHub.isEmpty || !opened.isEmpty || !closed.isEmpty {
            let hubEffects = forHub, openedFrames = opened, closedFrames = closed, contexts = shared.contexts
            shared.hubHandle.execute { loop in
                guard let context = contexts[loop], let service = context.hubService else { return }
                // A gap is shown before the alert it raised, and closes after.
                for frame in openedFrames { context.shared.deliver(to: .seller, frame, conflatable: false, from: context) }
                for effect in hubEffects {
                    switch effect {
                    case .alertRaised(let alert, let deliver, let announce):
                        if announce {
                            context.shared.deliver(to: .seller, HubMessages.frame(type: "alert", data: MoneyMessages.alert(alert, delivery: nil)),
                                                   conflatable: false, from: context)
                        }
                        if deliver {
                            service.alerts.send(alert)
                        } else if announce {
                            context.shared.hubMetrics.alertDelivery(.notConfigured)
                        }
                    case .paymentErrorsElsewhere(let records):
                        service.paymentErrorsFromElsewhere(records)
                    default:
                        break
                    }
                }
                for frame in closedFrames { context.shared.deliver(to: .seller, frame, conflatable: false, from: context) }
            }
        }
    }
}
