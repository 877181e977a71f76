import Money
import Reactor
import Synchronization

/// The notification emails' sender on a loop of its own, started when `--smtp-url` and
/// `--smtp-from` are set: no beacon loop waits for a mail server.
final class EmailService: Sendable {
    let metrics = EmailMetrics()
    private let group = Mutex<LoopBound<ReactorGroup>?>(nil)
    private let handle = Mutex<EventLoopHandle?>(nil)

    func start(settings: EmailSettings, money: MoneyEngine, publicURL: String?) throws {
        guard settings.isConfigured, let url = settings.smtpURL else { return }
        let made = try ReactorGroup(loops: 1)
        let metrics = self.metrics
        try made.start { [self] loop in
            let sender = EmailSender(loop: loop, money: money, settings: settings, url: url, metrics: metrics, publicURL: publicURL)
            handle.withLock { $0 = loop.handle }
            sender.start()
            // The sender lives as long as its loop: its timer holds it.
            retained.withLock { $0 = LoopBound(sender) }
        }
        group.withLock { $0 = LoopBound(made) }
    }

    private let retained = Mutex<LoopBound<EmailSender>?>(nil)

    func stop() {
        guard let handle = handle.withLock({ $0 }) else { return }
        handle.execute { loop in loop.stop() }
        group.withLock { $0 }?.value.join()
    }
}
