import Records
import Testing
@testable import LiveHubServer

/// What an export writes (README "Exports"): CSV per RFC 4180 with the OWASP guard against
/// formulas, NDJSON one object per line, amounts with their currency's places, and the
/// query's checks.
@Suite("Export encoding")
struct ExportEncodingTests {
    private func csv(_ text: String) -> String {
        var out: [UInt8] = []
        CSVField.appendText(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test(arguments: [
        ("plain", "plain"), ("", ""), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("two\r\nlines", "\"two\r\nlines\""),
        ("lf\nonly", "\"lf\nonly\""), ("é ünïcode", "é ünïcode"),
    ])
    func rfc4180QuotesWhatNeedsIt(text: String, written: String) {
        #expect(csv(text) == written)
    }

    /// OWASP "CSV Injection": `=`, `+`, `-`, `@`, tab, CR first → a `'` first.
    @Test(arguments: [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"), ("+1", "'+1"), ("-1+2", "'-1+2"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
        ("\rx", "\"'\rx\""), ("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""), ("a=b", "a=b"),
    ])
    func formulasAreWrittenAsText(text: String, written: String) {
        #expect(csv(text) == written)
    }

    @Test func hubWrittenValuesAreNeverPrefixed() {
        var out: [UInt8] = []
        CSVField.appendPlain("-5.00", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "-5.00")
    }

    private func query(_ kind: String, _ items: [String: String]) throws(APIError) -> ExportQuery {
        try ExportQuery.parse(kind: Substring(kind), items, now: 1_800_000_000_000)
    }

    @Test func theQueryIsCheckedBeforeAnythingIsRead() throws {
        let q = try query("payments", ["from": "2026-12-01T00:00:00Z", "to": "2026-12-07T00:00:00Z", "format": "csv"])
        #expect(q.filename == "livehub-payments-2026-12-01-2026-12-07.csv")
        #expect(q.head.headers["Content-Disposition"] == "attachment; filename=\"livehub-payments-2026-12-01-2026-12-07.csv\"")
        #expect(q.head.headers["Content-Type"] == "text/csv; charset=utf-8")
        let defaults = try query("rollups", ["from": "2026-12-01T00:00:00Z"])
        #expect(defaults.format == .ndjson && defaults.grain == .day && defaults.to == 1_800_000_000_000)
        #expect(defaults.table == .rollups(.day))
        #expect(try query("rollups", ["from": "0", "grain": "minute"]).table == .rollups(.minute))
        for bad: [String: String] in [[:], ["from": "yesterday"], ["from": "2026-12-01T00:00:00Z", "format": "xml"],
                                      ["from": "2026-12-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"], ["from": "-1"],
                                      ["from": "2026-12-01T00:00:00Z", "grain": "week"]] {
            #expect(throws: APIError.self) { try query("rollups", bad) }
        }
        #expect(throws: APIError.self) { try query("ledger", ["from": "0", "grain": "day"]) }
        #expect(throws: APIError.self) { try query("users", ["from": "0"]) }
    }

    private func row(_ values: [SQLValue]) -> [SQLValue] { values }

    @Test func paymentsWithTheirCurrencysPlacesInBothFormats() throws {
        let payment: [SQLValue] = [.text("2026-12-01T10:00:00.000Z"), .text("ref,1"), .text("paystack"), .text("credited"), .text("completed"),
                                   .integer(500_000), .text("NGN"), .integer(1000), .text("JPY"), .null, .text("u1"), .text("=x@y.z"),
                                   .null, .null, .null, .text("2026-12-01T10:00:01.000Z"), .null, .null, .null]
        #expect(payment.count == ExportTable.payments.columns.count)
        var csv = ExportEncoder(try query("payments", ["from": "0", "format": "csv"]))
        let text = String(decoding: csv.encode([payment]), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines[0] == "reference,provider,status,stage,amount,currency,provider_amount,provider_currency,provider_reference,user_id,email,phone,plan,error_message,created_at,updated_at,confirmed_at,credited_at,failed_at")
        #expect(lines[1] == "\"ref,1\",paystack,credited,completed,5000.00,NGN,1000,JPY,,u1,'=x@y.z,,,,2026-12-01T10:00:00.000Z,2026-12-01T10:00:01.000Z,,,")
        #expect(String(decoding: csv.encode([]), as: UTF8.self).isEmpty)  // the header once
        var ndjson = ExportEncoder(try query("payments", ["from": "0"]))
        let json = String(decoding: ndjson.encode([payment, payment]), as: UTF8.self)
        #expect(json.hasSuffix("}\n") && json.split(separator: "\n").count == 2)
        #expect(json.hasPrefix(#"{"reference":"ref,1","provider":"paystack","status":"credited","stage":"completed","amount":"5000.00","currency":"NGN","provider_amount":"1000","provider_currency":"JPY","provider_reference":null,"user_id":"u1","email":"=x@y.z""#))
    }

    @Test func ledgerRowsAsTheLedgerAPIWritesThem() throws {
        let entry: [SQLValue] = [.text("2026-12-01T10:00:00.000Z"), .integer(7), .text("u1"), .text("credit"), .integer(1250), .integer(-50),
                                 .text("top up"), .null, .text("r-7"), .null, .integer(3)]
        var ndjson = ExportEncoder(try query("ledger", ["from": "0"]))
        #expect(String(decoding: ndjson.encode([entry]), as: UTF8.self)
            == #"{"id":7,"created_at":"2026-12-01T10:00:00.000Z","user_id":"u1","type":"credit","amount":"12.50","balance_after":"-0.50","description":"top up","service":null,"reference":"r-7","payment_reference":null,"user_seq":3}"# + "\n")
    }
}
