import Hub
import Records

/// What each export kind writes: its columns' names, in order, and each one's value read
/// from a row of `ExportTable.columns`. The names are those the JSON API uses for the same
/// things (`GET /api/wallet/transactions`, `/api/payments`, `/api/activity`).
struct ExportColumn: Sendable {
    /// How a value is written: CSV guards `text` against injection; NDJSON writes
    /// `integer` as a number and the others as strings (amounts too: decimal text, never
    /// a binary float).
    enum Value {
        case text(String?)
        /// A time, ISO 8601 UTC as the database holds it.
        case time(String?)
        /// An amount, as decimal text with its currency's places.
        case decimal(String?)
        case integer(Int64?)
    }

    let name: String
    let value: @Sendable ([SQLValue]) -> Value

    init(_ name: String, _ value: @escaping @Sendable ([SQLValue]) -> Value) {
        self.name = name
        self.value = value
    }

    static func text(_ name: String, _ i: Int) -> ExportColumn { ExportColumn(name) { .text($0[i].text) } }
    static func time(_ name: String, _ i: Int) -> ExportColumn { ExportColumn(name) { .time($0[i].text) } }
    static func integer(_ name: String, _ i: Int) -> ExportColumn { ExportColumn(name) { .integer($0[i].integer) } }

    /// Minor units at `i` in the currency named at `currency`: its places (`Currency`:
    /// 2 for USD, 0 for JPY, 3 for KWD), two for a code ISO 4217 does not list.
    static func amount(_ name: String, _ i: Int, currency: Int) -> ExportColumn {
        ExportColumn(name) { row in
            .decimal(row[i].integer.map { MoneyMessages.decimal(Money(minorUnits: $0), row[currency].text) })
        }
    }

    /// Ledger amounts: the wallet's units, two places, as the ledger API writes them.
    static func walletAmount(_ name: String, _ i: Int) -> ExportColumn {
        ExportColumn(name) { row in .decimal(row[i].integer.map { Money(minorUnits: $0).description }) }
    }

    /// The columns of `kind`, reading rows laid out as `table.columns`.
    static func of(_ query: ExportQuery) -> [ExportColumn] {
        switch query.kind {
        case .ledger:
            // created_at, id, user_id, type, amount_minor, balance_after_minor, description,
            // service, reference, payment_reference, user_seq
            [integer("id", 1), time("created_at", 0), text("user_id", 2), text("type", 3), walletAmount("amount", 4),
             walletAmount("balance_after", 5), text("description", 6), text("service", 7), text("reference", 8),
             text("payment_reference", 9), integer("user_seq", 10)]
        case .payments:
            // created_at, reference, provider, state, status, amount_minor, currency,
            // provider_amount_minor, provider_currency, provider_reference, user_id, email,
            // phone, plan, error_message, updated_at, confirmed_at, credited_at, failed_at
            [text("reference", 1), text("provider", 2), text("status", 3), text("stage", 4), amount("amount", 5, currency: 6),
             text("currency", 6), amount("provider_amount", 7, currency: 8), text("provider_currency", 8),
             text("provider_reference", 9), text("user_id", 10), text("email", 11), text("phone", 12), text("plan", 13),
             text("error_message", 14), time("created_at", 0), time("updated_at", 15), time("confirmed_at", 16),
             time("credited_at", 17), time("failed_at", 18)]
        case .activity:
            // created_at, id, user_id, email, action, status, details, error_message
            [integer("id", 1), time("created_at", 0), text("user_id", 2), text("email", 3), text("action", 4), text("status", 5),
             text("details", 6), text("error_message", 7)]
        case .rollups:
            // bucket, metric, key, value
            [ExportColumn("grain") { [grain = query.grain.rawValue] _ in .text(grain) }, time("bucket", 0), text("metric", 1),
             text("key", 2), integer("value", 3)]
        }
    }
}
