/// The NOTIFY channels the money engine announces on, inside its transactions (delivered
/// after COMMIT, in commit order), for the other nodes of a cluster. The cluster reads
/// them (`ClusterChannel`, which a test holds equal to these); Money does not depend on
/// Cluster, so the sender spells them too.
public enum MoneyChannel {
    /// `SEQ:USER`: a user's balance reached `SEQ` (sent inside the ledger write's transaction).
    public static let balance = "livehub_balance"
    /// A node's id: the open gaps and unmatched payments changed.
    public static let problems = "livehub_problems"
    /// `NODE:ID`: that node raised alert ID for the sellers.
    public static let alert = "livehub_alert"
    /// A node's id: it recorded payment errors (rows of `payment_errors`).
    public static let paymentErrors = "livehub_payment_errors"
    /// `NODE<TAB>KIND<TAB>VALUE`: that node erased the person; every node removes what it
    /// holds of them in memory and in its snapshot.
    public static let erasure = "livehub_erasure"
}
