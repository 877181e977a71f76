/// `--fsync`: when the money engine commits (and so syncs) the records database.
public enum CommitPolicy: String, Sendable {
    /// Writes that arrive together share one transaction, committed before any of their
    /// answers leave (group commit).
    case batch
    /// A transaction per write.
    case always
}
