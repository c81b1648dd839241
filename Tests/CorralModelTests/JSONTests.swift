import XCTest
@testable import CorralModel

/// JSONParser and the serializer: what round-trips, what is refused.
final class JSONTests: XCTestCase {
    private func parse(_ s: String, file: StaticString = #filePath, line: UInt = #line) -> JSONValue {
        do { return try JSONParser.parse(s) } catch {
            XCTFail("parse failed: \(error)\n\(s)", file: file, line: line)
            return .null
        }
    }

    private func assertRejects(_ s: String, containing text: String = "", _ label: String = "",
                               file: StaticString = #filePath, line: UInt = #line) {
        assertRejects(Array(s.utf8), containing: text, label.isEmpty ? s : label, file: file, line: line)
    }

    private func assertRejects(_ bytes: [UInt8], containing text: String = "", _ label: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        do {
            let v = try JSONParser.parse(bytes)
            XCTFail("\(label): parsed as \(v.jsonString()), want an error", file: file, line: line)
        } catch let e as JSONParseError {
            if !text.isEmpty {
                XCTAssertTrue(e.message.contains(text), "\(label): error \"\(e.message)\" lacks \"\(text)\"", file: file, line: line)
            }
        } catch {
            XCTFail("\(label): unexpected error type \(error)", file: file, line: line)
        }
    }

    // MARK: round trips

    func testCompactRoundTripKeepsBytes() {
        let docs = [
            #"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","labels":{"z":"1","a":"2"}},"spec":{}}"#,
            #"[1,-2,0,1.5,-0.25,true,false,null,"s",[],{},[[]],{"":""}]"#,
            #"{"z":1,"y":2,"x":3,"a":{"c":[3,2,1],"b":null}}"#,
            #""plain""#,
            "9223372036854775807",
            "-9223372036854775808",
        ]
        for d in docs {
            XCTAssertEqual(parse(d).jsonString(), d, d)
        }
    }

    func testKeyOrderPreserved() {
        let v = parse(#"{"zeta":1,"alpha":2,"mid":{"b":1,"a":2}}"#)
        XCTAssertEqual(v.objectValue?.keys, ["zeta", "alpha", "mid"])
        XCTAssertEqual(v["mid"]?.objectValue?.keys, ["b", "a"])
        // Replacing a member keeps its place; removing and re-adding moves it to the end.
        var o = v.objectValue!
        o["zeta"] = 9
        XCTAssertEqual(o.keys, ["zeta", "alpha", "mid"])
        o["zeta"] = nil
        o["zeta"] = 1
        XCTAssertEqual(o.keys, ["alpha", "mid", "zeta"])
    }

    func testWhitespaceIsAcceptedAndDropped() {
        let v = parse(" \t\r\n{ \"a\" : [ 1 , 2 ] ,\n \"b\" : { } }\n ")
        XCTAssertEqual(v.jsonString(), #"{"a":[1,2],"b":{}}"#)
    }

    func testIntegersAndDoublesStayApart() {
        XCTAssertEqual(parse("1"), .int(1))
        XCTAssertEqual(parse("-0"), .int(0))
        XCTAssertEqual(parse("1.0"), .double(1.0))
        XCTAssertEqual(parse("1e2"), .double(100))
        XCTAssertEqual(parse("1E-2"), .double(0.01))
        XCTAssertEqual(parse("-1.5e+3"), .double(-1500))
        XCTAssertEqual(parse("9223372036854775807"), .int(Int64.max))
        XCTAssertEqual(parse("-9223372036854775808"), .int(Int64.min))
        // Past Int64 it becomes a double, as Go's unstructured decoding does.
        XCTAssertEqual(parse("9223372036854775808"), .double(9223372036854775808.0))
        XCTAssertEqual(parse("[1,1.0]").jsonString(), "[1,1]", "a whole double is written without a fraction, as Go does")
        XCTAssertEqual(parse("1.5").jsonString(), "1.5")
        XCTAssertEqual(parse("0.1").jsonString(), "0.1")
        XCTAssertEqual(JSONValue.double(-0.5).jsonString(), "-0.5")
        // Large doubles keep their value through a round trip.
        for s in ["1e300", "1.7976931348623157e308", "5e-324", "123456789012345678901234567890"] {
            let v = parse(s)
            let again = parse(v.jsonString())
            XCTAssertEqual(again.intValue.map(Double.init) ?? doubleOf(again), doubleOf(v), s)
        }
        XCTAssertEqual(JSONValue.double(1.5).intValue, nil)
        XCTAssertEqual(JSONValue.double(3.0).intValue, 3)
    }

    private func doubleOf(_ v: JSONValue) -> Double? {
        switch v {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: return nil
        }
    }

    func testStringEscapesDecode() {
        XCTAssertEqual(parse(#""a\"b\\c\/d\be\ff\ng\rh\ti""#), .string("a\"b\\c/d\u{08}e\u{0C}f\ng\rh\ti"))
        XCTAssertEqual(parse(#""\u0041\u00e9\u4e2d""#), .string("Aé中"))
        XCTAssertEqual(parse(#""\u00E9""#), .string("é"), "upper-case hex digits")
        // A surrogate pair is one scalar.
        XCTAssertEqual(parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertEqual(parse(#""x\uD83D\uDE00y""#), .string("x😀y"))
        // Lone surrogates become U+FFFD, as Go's decoder does.
        XCTAssertEqual(parse(#""\ud800""#), .string("\u{FFFD}"))
        XCTAssertEqual(parse(#""\ud800x""#), .string("\u{FFFD}x"))
        XCTAssertEqual(parse(#""\udc00""#), .string("\u{FFFD}"))
        XCTAssertEqual(parse(#""\ud800\u0041""#), .string("\u{FFFD}A"))
        // Raw UTF-8 passes through.
        XCTAssertEqual(parse("\"żółw 🐢\""), .string("żółw 🐢"))
        // Invalid UTF-8 is replaced, not refused (Go does the same).
        XCTAssertEqual(try JSONParser.parse([0x22, 0xFF, 0x61, 0x22]), .string("\u{FFFD}a"))
    }

    func testStringEscapesEncode() {
        XCTAssertEqual(JSONValue.string("<a href='x'>&</a>").jsonString(), #""\u003ca href='x'\u003e\u0026\u003c/a\u003e""#)
        XCTAssertEqual(JSONValue.string("q\"b\\").jsonString(), #""q\"b\\""#)
        XCTAssertEqual(JSONValue.string("\n\r\t").jsonString(), #""\n\r\t""#)
        XCTAssertEqual(JSONValue.string("\u{0}\u{1}\u{1F}\u{08}\u{0C}").jsonString(), #""\u0000\u0001\u001f\u0008\u000c""#)
        XCTAssertEqual(JSONValue.string("/é😀\u{7F}").jsonString(), "\"/é😀\u{7F}\"", "slash, non-ASCII and DEL are written as is")
        // Keys are escaped the same way.
        XCTAssertEqual(JSONValue.object(JSONObject([("a<b", .int(1))])).jsonString(), #"{"a\u003cb":1}"#)
        // Everything escaped comes back unchanged.
        let tricky = "<>&\"\\\n\r\t\u{0}\u{1F} é 😀 \u{2028}"
        XCTAssertEqual(parse(JSONValue.string(tricky).jsonString()), .string(tricky))
    }

    func testSerializeParseRoundTripOfBuiltValue() {
        let v: JSONValue = [
            "s": "<x>", "i": 42, "neg": -7, "d": 2.5, "b": true, "n": nil,
            "a": [1, "two", [3.25], ["k": "v"]],
            "o": ["nested": ["deeper": ["deepest": "ok"]]],
        ]
        let back = parse(v.jsonString())
        XCTAssertEqual(back, v)
        XCTAssertEqual(back.objectValue?.keys, ["s", "i", "neg", "d", "b", "n", "a", "o"])
        XCTAssertEqual(back.jsonString(), v.jsonString())
    }

    // MARK: rejects

    func testRejectsTrailingData() {
        assertRejects("{} {}", containing: "trailing")
        assertRejects("{}x", containing: "trailing")
        assertRejects("1 2", containing: "trailing")
        assertRejects("truex", containing: "trailing")
        assertRejects("[1]]", containing: "trailing")
        assertRejects(Array("{}".utf8) + [0], containing: "trailing", "NUL after the document")
        XCTAssertEqual(parse("{}  \n"), .object(JSONObject()), "trailing whitespace is fine")
    }

    func testRejectsBadNumbers() {
        assertRejects("01", containing: "leading zero")
        assertRejects("-01", containing: "leading zero")
        assertRejects("00", containing: "leading zero")
        assertRejects("[007]", containing: "leading zero")
        for s in ["-", "+1", ".5", "1.", "1.e3", "1e", "1e+", "-a", "0x10", "NaN", "Infinity", "-Infinity"] {
            assertRejects(s, s)
        }
        assertRejects("1e400", containing: "out of range")
        assertRejects("-1e400", containing: "out of range")
        XCTAssertEqual(parse("0"), .int(0))
        XCTAssertEqual(parse("0.5"), .double(0.5))
        XCTAssertEqual(parse("0e1"), .double(0))
    }

    func testRejectsBadEscapes() {
        assertRejects(#""\x41""#, containing: "invalid escape")
        assertRejects(#""\a""#, containing: "invalid escape")
        assertRejects(#""\'""#, containing: "invalid escape")
        assertRejects(#""\U0041""#, containing: "invalid escape")
        assertRejects(#""\u12""#, containing: "unicode escape")
        assertRejects(#""\u12G4""#, containing: "unicode escape")
        assertRejects(#""\u""#, containing: "unicode escape")
        assertRejects(#""\ud800\u12""#, containing: "unicode escape")
    }

    func testRejectsUnterminated() {
        assertRejects(#""abc"#, containing: "end of JSON input")
        assertRejects(#""abc\"#, containing: "end of JSON input")
        assertRejects(#""ab\n"#, containing: "end of JSON input")
        assertRejects(#"{"a":"b"#, containing: "end of JSON input")
        assertRejects(#"{"a":1"#, containing: "end of JSON input")
        assertRejects(#"{"a":"#, containing: "end of JSON input")
        assertRejects(#"{"a""#, containing: "':'")
        assertRejects("[1,", containing: "end of JSON input")
        assertRejects("[", containing: "end of JSON input")
        assertRejects("", containing: "end of JSON input")
        assertRejects("   ", containing: "end of JSON input")
        assertRejects("tru", containing: "end of JSON input")
        assertRejects("nul", containing: "end of JSON input")
    }

    func testRejectsStructuralErrors() {
        assertRejects("[1,]", "trailing comma in array")
        assertRejects(#"{"a":1,}"#, containing: "object key")
        assertRejects(#"{a:1}"#, containing: "object key")
        assertRejects(#"{'a':1}"#, containing: "object key")
        assertRejects(#"{"a" 1}"#, containing: "':'")
        assertRejects(#"{"a":1 "b":2}"#, containing: "','")
        assertRejects("[1 2]", containing: "','")
        assertRejects("nope", containing: "invalid literal")
        assertRejects("True", containing: "beginning of value")
        assertRejects("}", containing: "beginning of value")
        assertRejects("// c\n{}", containing: "beginning of value")
    }

    func testRejectsControlCharactersInStrings() {
        for c: UInt8 in [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F] {
            assertRejects([0x22, 0x61, c, 0x62, 0x22], containing: "control character", "raw 0x\(String(c, radix: 16)) in a string")
            // Also after an escape (the slow path).
            assertRejects([0x22, 0x5C, 0x6E, c, 0x22], containing: "control character", "raw 0x\(String(c, radix: 16)) after an escape")
        }
        XCTAssertEqual(try JSONParser.parse([0x22, 0x7F, 0x22]), .string("\u{7F}"), "DEL is not a control character for JSON")
    }

    func testDepthLimit() {
        func nested(_ n: Int, _ open: String = "[", _ close: String = "]") -> String {
            String(repeating: open, count: n) + String(repeating: close, count: n)
        }
        XCTAssertNotNil(try? JSONParser.parse(nested(256)), "256 levels are allowed")
        assertRejects(nested(257), containing: "max depth", "257 arrays")
        let objects = String(repeating: #"{"a":"#, count: 257) + "1" + String(repeating: "}", count: 257)
        assertRejects(objects, containing: "max depth", "257 objects")
        let mixed = String(repeating: #"[{"a":"#, count: 129) + "1" + String(repeating: "}]", count: 129)
        assertRejects(mixed, containing: "max depth", "258 mixed levels")
        XCTAssertNotNil(try? JSONParser.parse(Array(nested(10).utf8), maxDepth: 10))
        XCTAssertNil(try? JSONParser.parse(Array(nested(11).utf8), maxDepth: 10))
        // Hostile nesting fails fast instead of exhausting the stack.
        assertRejects(nested(100_000), containing: "max depth", "100000 arrays")
        assertRejects(String(repeating: "[", count: 100_000), containing: "max depth", "100000 unclosed arrays")
        assertRejects(String(repeating: #"{"a":"#, count: 100_000), containing: "max depth", "100000 unclosed objects")
    }

    func testErrorOffsets() {
        do {
            _ = try JSONParser.parse(#"{"a":1,"b":x}"#)
            XCTFail("want an error")
        } catch let e as JSONParseError {
            XCTAssertEqual(e.offset, 11)
            XCTAssertTrue(e.description.hasSuffix("at offset 11"), e.description)
        } catch { XCTFail("\(error)") }
    }

    // MARK: duplicates

    func testDuplicateKeysReported() throws {
        let (v, dups) = try JSONParser.parseReportingDuplicates(Array(#"{"a":1,"b":{"c":1,"c":2},"a":3}"#.utf8))
        XCTAssertEqual(dups, ["b.c", "a"])
        XCTAssertEqual(v["a"], .int(3), "the later value wins")
        XCTAssertEqual(v[path: ["b", "c"]], .int(2))
        XCTAssertEqual(v.objectValue?.keys, ["a", "b"], "the key keeps its first position")
        XCTAssertEqual(v.jsonString(), #"{"a":3,"b":{"c":2}}"#)

        let (_, inArrays) = try JSONParser.parseReportingDuplicates(
            Array(#"{"spec":{"containers":[{"name":"a"},{"name":"b","name":"c"}]}}"#.utf8))
        XCTAssertEqual(inArrays, ["spec.containers[1].name"])

        let (_, topArray) = try JSONParser.parseReportingDuplicates(Array(#"[{"x":1,"x":1,"x":1}]"#.utf8))
        XCTAssertEqual(topArray, ["[0].x", "[0].x"])

        let (_, none) = try JSONParser.parseReportingDuplicates(Array(#"{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}"#.utf8))
        XCTAssertEqual(none, [])

        // Plain parse accepts duplicates silently.
        XCTAssertEqual(try JSONParser.parse(#"{"a":1,"a":2}"#), ["a": 2])
        XCTAssertThrowsError(try JSONParser.parseReportingDuplicates(Array(#"{"a":1,"a":2"#.utf8)))
    }

    // MARK: JSONValue helpers

    func testPathHelpers() {
        var v: JSONValue = ["metadata": ["name": "x"]]
        XCTAssertEqual(v[path: ["metadata", "name"]], "x")
        XCTAssertNil(v[path: ["metadata", "missing", "deeper"]])
        v.set(path: ["spec", "template", "spec"], to: ["a": 1])
        XCTAssertEqual(v.jsonString(), #"{"metadata":{"name":"x"},"spec":{"template":{"spec":{"a":1}}}}"#)
        v.set(path: ["metadata", "name"], to: nil)
        XCTAssertEqual(v.jsonString(), #"{"metadata":{},"spec":{"template":{"spec":{"a":1}}}}"#)
        // A non-object in the way is replaced by an object.
        v.set(path: ["metadata", "labels", "a"], to: "b")
        v["status"] = "str"
        v.set(path: ["status", "phase"], to: "Pending")
        XCTAssertEqual(v[path: ["status", "phase"]], "Pending")
        XCTAssertEqual(v[path: ["metadata", "labels", "a"]], "b")
        // Setting on a non-object does nothing.
        var s: JSONValue = "scalar"
        s.set(path: ["a"], to: 1)
        XCTAssertEqual(s, "scalar")
        XCTAssertEqual(JSONValue.int(1).typeName, "number")
        XCTAssertEqual(JSONValue.double(1).typeName, "number")
        XCTAssertEqual(JSONValue.null.typeName, "null")
        XCTAssertEqual(JSONValue.array([]).typeName, "array")
    }

    func testObjectEqualityIgnoresOrder() {
        XCTAssertEqual(parse(#"{"a":1,"b":2}"#), parse(#"{"b":2,"a":1}"#))
        XCTAssertNotEqual(parse(#"{"a":1}"#), parse(#"{"a":1.0}"#), "int and double are distinct values")
        XCTAssertNotEqual(parse("[1,2]"), parse("[2,1]"))
    }
}
