import Testing
@testable import Hub

@Suite("Timestamps")
struct TimestampTests {
    @Test func iso8601IsUTCWithMillisecondsAndParsesBack() {
        #expect(Timestamp.iso8601(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.iso8601(milliseconds: 951_782_400_007) == "2000-02-29T00:00:00.007Z")  // a leap day
        #expect(Timestamp.iso8601(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp.iso8601(milliseconds: 253_402_300_799_999) == "9999-12-31T23:59:59.999Z")
        for ms in stride(from: Int64(-86_400_000), through: 4_102_444_800_000, by: 7_919_876_543) {
            #expect(Timestamp.parse(Timestamp.iso8601(milliseconds: ms)) == ms)
        }
    }
}
