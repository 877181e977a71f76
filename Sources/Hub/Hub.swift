/// The domain layer: session table, presence, rooms' content, payments, ledger, snapshot
/// and journal. It knows nothing of sockets or JSON, and its clock is injected so tests
/// control time. The transport issue needs none of it yet; the live-metrics issue fills it.
public enum Hub {}
