import Testing
@testable import JSON

/// RFC 8259 strings through the parser's two paths (a run with no escape is taken whole; one
/// with an escape byte by byte) and the writer's two paths (copied whole, or escaped).
@Suite("JSON strings")
struct JSONTests {
    func string(_ json: String) throws -> String? {
        try JSONParser.parse(Array(json.utf8)).stringValue
    }

    func failure(_ bytes: [UInt8]) -> JSONParseError? {
        do { _ = try JSONParser.parse(bytes); return nil } catch { return error }
    }

    @Test func plainAndEscapedStringsParseToTheSameText() throws {
        #expect(try string(#""user-42""#) == "user-42")
        #expect(try string(#""""#) == "")
        #expect(try string(#""a\"b\\c\/d\n\t""#) == "a\"b\\c/d\n\t")
        #expect(try string(#""caf\u00e9 \ud83d\ude00""#) == "café 😀")
        #expect(try string("\"café 😀\"") == "café 😀")
        #expect(try string(#""prefix before the escape \n and after""#) == "prefix before the escape \n and after")
    }

    @Test func badStringsAreRefusedWhereTheyGoWrong() {
        // Invalid UTF-8 in a run without escapes, and after one.
        #expect(failure(Array("\"ab".utf8) + [0xFF] + Array("\"".utf8))?.reason == "invalid UTF-8")
        #expect(failure(Array(#""\n"#.utf8) + [0xC3] + Array("\"".utf8))?.reason == "invalid UTF-8")
        #expect(failure(Array("\"a\u{01}b\"".utf8))?.reason == "control character in string")
        #expect(failure(Array(#""abc"#.utf8))?.reason == "unterminated string")
        #expect(failure(Array(#""\ud83d""#.utf8))?.reason == "lone surrogate")
        #expect(failure(Array(#""\x""#.utf8))?.reason == "invalid escape")
    }

    @Test func objectsKeepKeysInOrder() throws {
        let value = try JSONParser.parse(Array(#"{"user_id":"u1","amount":"1.25","note":"x\"y"}"#.utf8))
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["user_id", "amount", "note"])
        #expect(value["note"]?.stringValue == "x\"y")
    }

    @Test func theWriterEscapesOnlyWhatMustBeEscapedAndRoundTrips() throws {
        for text in ["plain", "", "quote \" and backslash \\", "line\nbreak\ttab\r", "\u{01}\u{1F}", "café 😀"] {
            let written = JSONWriter.quoted(text)
            #expect(try string(written) == text, "\(written)")
        }
        #expect(JSONWriter.quoted("plain") == #""plain""#)
        #expect(JSONWriter.quoted("a\u{01}") == #""a\u0001""#)
        #expect(JSONWriter.quoted(nil) == "null")
    }

    @Test func nestedValuesAreWrittenBackAsTheyWereRead() throws {
        let text = #"{"a":[1,{"b":[],"c":{}},[[2,3],"x"]],"d":{"e":{"f":[true,false,null]}},"g":"h"}"#
        #expect(try JSONParser.parse(Array(text.utf8)).serialized == text)
        let deep = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(try JSONParser.parse(Array(deep.utf8)).serialized == deep)
    }
}
