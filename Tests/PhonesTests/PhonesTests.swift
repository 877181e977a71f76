import Dispatch
import Synchronization
import Testing
import Phones

/// E.164 through libphonenumber: the ways a Kenyan number is written give one text, other
/// regions' numbers their own, and anything that is not a number gives nil.
@Suite("Phone numbers")
struct PhonesTests {
    let kenya = PhoneNormalizer(defaultRegion: "KE")!
    let anywhere = PhoneNormalizer(defaultRegion: nil)!

    @Test func theWaysAKenyanNumberIsWrittenGiveOneE164() {
        for text in ["0712345678", "254712345678", "+254712345678", "+254 712 345 678", "+254-712-345678",
                     "(0712) 345 678", "+254 0712345678", "０７１２３４５６７８"] {
            #expect(kenya.e164(text) == "+254712345678", "\(text)")
        }
        #expect(anywhere.e164("+254 712 345 678") == "+254712345678")
        #expect(PhoneNormalizer(defaultRegion: "ke")?.e164("0712345678") == "+254712345678")
    }

    @Test func withoutARegionTheNationalFormIsNotANumber() {
        #expect(anywhere.e164("0712345678") == nil)
        #expect(anywhere.e164("712345678") == nil)
    }

    @Test func testRangesArePossibleNumbersAndStayDistinct() {
        #expect(anywhere.e164("+254700000001") == "+254700000001")
        #expect(kenya.e164("0700 000 042") == "+254700000042")
        #expect(anywhere.e164("+254700000001") != anywhere.e164("+254700000002"))
        // Possible though not valid in the metadata: US 555 and UK drama numbers.
        #expect(anywhere.e164("+1 555 555 5555") == "+15555555555")
        #expect(PhoneNormalizer(defaultRegion: "GB")?.e164("07700 900123") == "+447700900123")
    }

    @Test func otherRegionsNumbers() {
        let us = PhoneNormalizer(defaultRegion: "US")!
        #expect(us.e164("(650) 253-0000") == "+16502530000")
        #expect(us.e164("1 650 253 0000") == "+16502530000")
        #expect(anywhere.e164("+1 650-253-0000") == "+16502530000")
        let uk = PhoneNormalizer(defaultRegion: "GB")!
        #expect(uk.e164("020 7946 0958") == "+442079460958")
        #expect(uk.e164("07911 123456") == "+447911123456")
        #expect(anywhere.e164("+44 20 7946 0958") == "+442079460958")
        // The same digits in Kenya are another number.
        #expect(kenya.e164("020 7946 0958") != uk.e164("020 7946 0958"))
        // Local only (no area code): its E.164 form would be wrong.
        #expect(us.e164("253-0000") == nil)
    }

    @Test func whatIsAcceptedReadsBackAsItself() {
        // libphonenumber formats KE "007123456" as "+25407123456", which reads as "+2547123456":
        // not kept, as it would not compare equal to itself.
        #expect(kenya.e164("007123456") == nil)
        #expect(PhoneNormalizer(defaultRegion: "IT")?.e164("06 1234 5678") == "+390612345678")
        #expect(anywhere.e164("+390612345678") == "+390612345678")
        for text in ["0712345678", "+254 700 000 001", "020 2000000", "0112345678", "+44 20 7946 0958", "+1 650 253 0000"] {
            guard let e164 = kenya.e164(text) else { Issue.record("\(text) refused"); continue }
            #expect(anywhere.e164(e164) == e164)
        }
    }

    @Test func whatIsNotANumberGivesNil() {
        let huge = String(repeating: "7", count: 10_000)
        for text in ["", " ", "+", "++", "garbage", "hello world", "12", "0712", "+2541", "+254 7123",
                     "07123456789012", "+254712345678999", "+999 123456789", "*144#",
                     "0712345678\0", "07123\u{0}45678", "\0",
                     "07abc45678", "0712FOO678", "07ａｂｃ45678", "1-800-FLOWERS", "tel:+254712345678",
                     "0712345678 ext 5", "0712345678#12", "0712345678x12",
                     "0712 345 678 0712 345 678", huge, "+254" + huge,
                     String(repeating: " ", count: 60) + "0712345678"] {
            #expect(kenya.e164(text) == nil, "\(text.prefix(40))")
            #expect(anywhere.e164(text) == nil, "\(text.prefix(40))")
        }
        #expect(PhoneNormalizer(defaultRegion: "US")!.e164("1-800-FLOWERS") == nil)
    }

    @Test func anUnknownRegionMakesNoNormalizer() {
        for region in ["ZZ", "XX", "UK", "001", "", "K", "KEN", "K\0", "ＫＥ", "🇰🇪"] {
            #expect(PhoneNormalizer(defaultRegion: region) == nil, "\(region)")
        }
        #expect(PhoneNormalizer(defaultRegion: "GB") != nil)
        #expect(PhoneNormalizer(defaultRegion: nil) != nil)
    }

    @Test func callsFromSeveralThreadsAgree() {
        let cases = [("0712345678", "+254712345678"), ("+254-712-345678", "+254712345678"),
                     ("+44 20 7946 0958", "+442079460958"), ("garbage", nil), ("0712", nil)]
        let wrong = Mutex(0)
        let kenya = self.kenya
        DispatchQueue.concurrentPerform(iterations: 16) { worker in
            var mistakes = 0
            for round in 0..<2_000 {
                let (text, expected) = cases[(worker + round) % cases.count]
                if kenya.e164(text) != expected { mistakes += 1 }
                // First use of other regions' metadata from several threads at once.
                if round == 0, PhoneNormalizer(defaultRegion: ["TZ", "UG", "NG", "ZA"][worker % 4]) == nil { mistakes += 1 }
            }
            wrong.withLock { $0 += mistakes }
        }
        #expect(wrong.withLock { $0 } == 0)
    }
}
