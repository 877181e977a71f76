import JSON
import Records

/// Rows to the bytes of an export, a page at a time: CSV (RFC 4180, a header record
/// first) or NDJSON (one JSON object per line, `\n` after each). Holds nothing between
/// pages but whether the header is out, so an export's memory is one page's.
struct ExportEncoder {
    let format: ExportQuery.Format
    let columns: [ExportColumn]
    private var headerWritten = false

    init(_ query: ExportQuery) {
        format = query.format
        columns = ExportColumn.of(query)
    }

    /// The page's bytes (the CSV header before the first page's rows, even with none).
    mutating func encode(_ rows: [[SQLValue]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * columns.count * 16 + 64)
        switch format {
        case .csv:
            if !headerWritten {
                record(columns.map { .text($0.name) }, into: &out)
            }
            for row in rows { record(columns.map { $0.value(row) }, into: &out) }
        case .ndjson:
            for row in rows { line(row, into: &out) }
        }
        headerWritten = true
        return out
    }

    private func record(_ values: [ExportColumn.Value], into out: inout [UInt8]) {
        for (i, value) in values.enumerated() {
            if i > 0 { out.append(CSVField.separator) }
            switch value {
            case .text(let text): if let text { CSVField.appendText(text, to: &out) }
            case .time(let text), .decimal(let text): if let text { CSVField.appendPlain(text, to: &out) }
            case .integer(let n): if let n { out.append(contentsOf: String(n).utf8) }
            }
            // A null is an empty field (RFC 4180 has no null; "" would read the same).
        }
        out.append(contentsOf: CSVField.recordEnd)
    }

    private func line(_ row: [SQLValue], into out: inout [UInt8]) {
        var json = JSONWriter()
        json.beginObject()
        for column in columns {
            json.key(column.name)
            switch column.value(row) {
            case .text(let text), .time(let text), .decimal(let text): json.string(text)
            case .integer(let n): if let n { json.int(Int(n)) } else { json.null() }
            }
        }
        json.endObject()
        out.append(contentsOf: json.bytes)
        out.append(UInt8(ascii: "\n"))
    }
}
