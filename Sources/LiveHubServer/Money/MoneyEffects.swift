import Hub
import Reactor
import Records

/// Where the money engine's committed effects go: balance updates straight to every loop
/// (one task per loop per batch; a loop encodes one only for a user it has sockets for), open problems into the publication, alerts and new gaps
/// to the hub's loop, which tells the sellers and hands alerts to the webhook.
/// Runs on the engine's thread, after the COMMIT and before the batch's answers leave.
final class MoneyEffects: @unchecked Sendable {
    // @unchecked: `shared` is set once, before the engine's first batch.
    var shared: ServerShared?

    func deliver(_ effects: [MoneyEffect]) {
        guard let shared else { return }
        var balances: [LedgerTransaction] = []
        var forHub: [MoneyEffect] = []
        var closed: [RoomMessage] = []
        for effect in effects {
            switch effect {
            case .balanceChanged(let t):
                shared.hubMetrics.balancePush()
                balances.append(t)
            case .openProblems(let payments):
                closed += shared.publication.publish(openGaps: payments).map(MoneyMessages.gapClosedFrame)
            case .committed(let writes, let seconds):
                shared.hubMetrics.commit(writes: writes, seconds: seconds)
            case .alertRaised, .problemOpened:
                forHub.append(effect)
            }
        }
        if !balances.isEmpty {
            let updates = balances
            for handle in shared.handles {
                handle.execute { loop in
                    guard let context = loop.context as? LoopContext else { return }
                    for t in updates { context.balanceRooms.deliver(t, context: context) }
                }
            }
        }
        if !forHub.isEmpty || !closed.isEmpty {
            let hubEffects = forHub, closedFrames = closed
            shared.hubHandle.execute { loop in
                guard let context = loop.context as? LoopContext, let service = context.hubService else { return }
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
                    case .problemOpened(let payment):
                        context.shared.deliver(to: .seller, MoneyMessages.gapFrame(payment), conflatable: false, from: context)
                    default:
                        break
                    }
                }
                // After the openings of the same batch, so a seller never sees a gap close before it opened.
                for frame in closedFrames { context.shared.deliver(to: .seller, frame, conflatable: false, from: context) }
            }
        }
    }
}
