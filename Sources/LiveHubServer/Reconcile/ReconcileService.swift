import CLinux
import Hub
import Money
import Reactor
import Synchronization

/// The way to the reconciler from any thread: it runs on a loop of its own (started only
/// when a provider's API key is set), so no beacon loop ever parses a provider's answer or
/// waits for one. Each call hops onto that loop; the reconciler is touched nowhere else.
final class ReconcileService: Sendable {
    let metrics = ReconcileMetrics()
    private let slot = Mutex<(handle: EventLoopHandle, reconciler: LoopBound<Reconciler>, confirmsMPesa: Bool)?>(nil)
    private let group = Mutex<LoopBound<ReactorGroup>?>(nil)

    /// Starts the reconciler's loop if any provider can be asked.
    func start(settings: ProviderAPISettings, paystackSecret: String?, money: MoneyEngine, clock: SystemClock) throws {
        let anyKey = paystackSecret != nil || settings.stripeAPIKey != nil || settings.nowpaymentsAPIKey != nil || settings.mpesaConfigured
        guard anyKey else { return }
        let made = try ReactorGroup(loops: 1)
        let metrics = self.metrics
        try made.start { [self] loop in
            // Background work: on a busy machine the beacon loops and the money writer go
            // first (BENCHMARKS "Reconciling beside beacons and ledger writes").
            _ = clinux_lower_thread_priority(10)
            let reconciler = Reconciler(loop: loop, money: money, settings: settings, paystackSecret: paystackSecret, clock: clock, metrics: metrics)
            slot.withLock { $0 = (loop.handle, LoopBound(reconciler), reconciler.confirmsMPesa) }
            reconciler.start()
        }
        group.withLock { $0 = LoopBound(made) }
    }

    /// Whether M-Pesa callbacks are confirmed with Daraja before they count.
    var confirmsMPesa: Bool { slot.withLock { $0?.confirmsMPesa } ?? false }

    /// Runs `body` with the reconciler on its loop; false if there is none.
    @discardableResult
    func on(_ body: @escaping @Sendable (Reconciler) -> Void) -> Bool {
        guard let (handle, bound, _) = slot.withLock({ $0 }) else { return false }
        handle.execute { _ in body(bound.value) }
        return true
    }

    func stop() {
        guard let (handle, _, _) = slot.withLock({ $0 }) else { return }
        handle.execute { loop in loop.stop() }
        group.withLock { $0 }?.value.join()
    }
}

/// A value confined to one loop, handed across threads only to be used on that loop.
final class LoopBound<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
