import Foundation

// Fuzz target for request decoding: the bytes of an untrusted request body go
// through everything corrald does to a body before it is stored.
//
//  1. `JSONParser.parse` (and `parseReportingDuplicates`, which must agree);
//  2. when it is a JSON value: `serialized()` and a re-parse must give the same
//     value (numbers compared by value: Go's encoder writes 1.0 as `1`, and so
//     do we), and serializing again must give the same bytes;
//  3. when it is an object: `ObjectLifecycle.prepareCreate` as a few built-in
//     types (ConfigMap, Pod, Deployment, KubeVirt VirtualMachine), then the
//     stored result's round trip and a `prepareUpdate` of the body onto it;
//  4. `KubeProtobuf.decode` of the same bytes, and the round trip of what it yields.
//
// Thrown errors are the expected way to refuse a body. A crash, a hang, a
// sanitizer report or a failed round-trip check (reported with `fatalError`) is a bug.
//
// Built with `-sanitize=fuzzer,address` by tools/fuzz-decode.sh, this file is a
// libFuzzer target. Built with `-D CORRAL_FUZZ_STANDALONE` it also has a `main`
// that replays files given on the command line plus seeded random mutations of
// them (`decode-fuzzer [-runs=N] [-seed=S] FILE|DIR...`), for toolchains without
// libFuzzer and for replaying a crash under a debugger.

/// The types the harness creates objects as, looked up once.
private let fuzzTypes: [ResourceType] = {
    let registry = ResourceRegistry.builtins()
    return ["configmaps", "pods", "deployments.apps", "virtualmachines.kubevirt.io"].map { key in
        guard let t = registry.lookup(storageKey: key) else { fatalError("fuzz: no builtin type \(key)") }
        return t
    }
}()

private let fuzzNow = Date(timeIntervalSince1970: 1_700_000_000)
private let fuzzUID = "8f0c6a4e-5b1d-4c3e-9a7f-2d6b1e0c9f31"

/// libFuzzer's entry point: one input per call; always returns 0.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    fuzzOne(bytes)
    return 0
}

/// Runs one input through every decoding step.
func fuzzOne(_ bytes: [UInt8]) {
    if let value = try? JSONParser.parse(bytes) {
        checkDuplicateReporting(bytes, value)
        checkRoundTrip(value, what: "parsed body")
        if case .object = value {
            for type in fuzzTypes { lifecycle(value, type: type) }
        }
    }
    if let decoded = try? KubeProtobuf.decode(bytes) {
        checkRoundTrip(decoded, what: "protobuf body")
        for type in fuzzTypes where decoded["kind"]?.stringValue == type.kind {
            lifecycle(decoded, type: type)
        }
    }
}

/// `parseReportingDuplicates` must accept exactly what `parse` accepts, and give the same value.
private func checkDuplicateReporting(_ bytes: [UInt8], _ value: JSONValue) {
    guard let (again, _) = try? JSONParser.parseReportingDuplicates(bytes) else {
        fatalError("fuzz: parse accepted a body that parseReportingDuplicates refused")
    }
    if again != value { fatalError("fuzz: parse and parseReportingDuplicates disagree") }
}

/// Create (and then update) `body` as `type`; errors are fine, crashes are not.
private func lifecycle(_ body: JSONValue, type: ResourceType) {
    let ns: String? = type.namespaced ? "default" : nil
    guard let created = try? ObjectLifecycle.prepareCreate(body, type: type, namespace: ns, now: fuzzNow, uid: fuzzUID) else {
        return
    }
    checkRoundTrip(created, what: "created \(type.kind)")
    if created[path: ["metadata", "uid"]]?.stringValue != fuzzUID {
        fatalError("fuzz: prepareCreate did not set metadata.uid on a \(type.kind)")
    }
    guard let name = created[path: ["metadata", "name"]]?.stringValue, !name.isEmpty else {
        fatalError("fuzz: prepareCreate accepted a \(type.kind) without a name")
    }
    var stored = created
    stored.set(path: ["metadata", "resourceVersion"], to: "1")
    var update = body
    update.set(path: ["metadata", "resourceVersion"], to: nil)
    update.set(path: ["metadata", "name"], to: .string(name))
    if let updated = try? ObjectLifecycle.prepareUpdate(update, old: stored, type: type, subresource: nil) {
        checkRoundTrip(updated, what: "updated \(type.kind)")
    }
    if let updated = try? ObjectLifecycle.prepareUpdate(update, old: stored, type: type, subresource: "status") {
        checkRoundTrip(updated, what: "status-updated \(type.kind)")
    }
}

/// serialized() → parse must give an equal value, and serializing that must give the same bytes.
private func checkRoundTrip(_ value: JSONValue, what: String) {
    let bytes = value.serialized()
    let again: JSONValue
    do {
        again = try JSONParser.parse(bytes)
    } catch {
        fatalError("fuzz: serialized \(what) does not parse (\(error)): \(hexPrefix(bytes))")
    }
    if !sameValue(value, again) {
        fatalError("fuzz: \(what) changed in a serialize/parse round trip:\n  before: \(hexPrefix(bytes))\n  after:  \(hexPrefix(again.serialized()))")
    }
    let bytes2 = again.serialized()
    if bytes2 != bytes {
        fatalError("fuzz: serializing \(what) is not stable:\n  first:  \(hexPrefix(bytes))\n  second: \(hexPrefix(bytes2))")
    }
}

/// Structural equality where JSON numbers compare by value (an int and a
/// double that are numerically equal are the same JSON number) and object key
/// order is significant (the model promises to keep it).
private func sameValue(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.string(let x), .string(let y)): return Array(x.utf8) == Array(y.utf8)
    case (.int(let x), .int(let y)): return x == y
    case (.double(let x), .double(let y)): return x == y
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y && y.rounded() == y
    case (.array(let x), .array(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { sameValue($0, $1) }
    case (.object(let x), .object(let y)):
        let xs = Array(x), ys = Array(y)
        return xs.count == ys.count && zip(xs, ys).allSatisfy { Array($0.key.utf8) == Array($1.key.utf8) && sameValue($0.value, $1.value) }
    default: return false
    }
}

private func hexPrefix(_ b: [UInt8]) -> String {
    let shown = b.prefix(256).map { String(format: "%02x", $0) }.joined()
    return b.count > 256 ? "\(shown)… (\(b.count) bytes)" : shown
}

#if CORRAL_FUZZ_STANDALONE
/// A libFuzzer stand-in: replays the given files (or every file in given
/// directories), then `-runs=N` random mutations of them from a fixed `-seed`,
/// stopping early after `-max_total_time=S` seconds. Before each input it writes
/// the bytes to `<artifact_prefix>last-input`, so after a crash that file holds
/// the input that crashed.
@main
struct StandaloneFuzzer {
    static func main() {
        var runs = 100_000, seed: UInt64 = 1, maxSeconds = 0.0, artifactPrefix = ""
        var inputs: [[UInt8]] = []
        for arg in CommandLine.arguments.dropFirst() {
            if arg.hasPrefix("-runs=") { runs = Int(arg.dropFirst(6)) ?? runs; continue }
            if arg.hasPrefix("-seed=") { seed = UInt64(arg.dropFirst(6)) ?? seed; continue }
            if arg.hasPrefix("-max_total_time=") { maxSeconds = Double(arg.dropFirst(16)) ?? 0; continue }
            if arg.hasPrefix("-artifact_prefix=") { artifactPrefix = String(arg.dropFirst(17)); continue }
            if arg.hasPrefix("-") { continue }  // libFuzzer flags we do not implement
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: arg, isDirectory: &isDir) else { continue }
            let paths = isDir.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: arg)) ?? []).sorted().map { "\(arg)/\($0)" }
                : [arg]
            for p in paths { if let d = FileManager.default.contents(atPath: p) { inputs.append([UInt8](d)) } }
        }
        if inputs.isEmpty { inputs = [Array("{}".utf8)] }
        let lastInput = artifactPrefix.isEmpty ? nil : URL(fileURLWithPath: artifactPrefix + "last-input")
        func run(_ b: [UInt8]) {
            if let lastInput { try? Data(b).write(to: lastInput) }
            fuzzOne(b)
        }
        let start = Date()
        var done = 0
        for input in inputs { run(input); done += 1 }
        var rng = SplitMix64(seed: seed)
        let dictionary: [[UInt8]] = ["{", "}", "[", "]", "\"", ":", ",", "\\u", "\\ud800", "-0", "1e999", "null",
                                     "\"metadata\"", "\"name\"", "\"spec\"", "\"status\"", "k8s\u{0}"].map { Array($0.utf8) }
        for _ in 0..<runs {
            if maxSeconds > 0, Date().timeIntervalSince(start) > maxSeconds { break }
            var b = inputs[Int(rng.next() % UInt64(inputs.count))]
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let pos = b.isEmpty ? 0 : Int(rng.next() % UInt64(b.count + 1))
                switch rng.next() % 5 {
                case 0 where pos < b.count: b[pos] = UInt8(truncatingIfNeeded: rng.next())
                case 1 where pos < b.count: b.remove(at: pos)
                case 2: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: pos)
                case 3: b.insert(contentsOf: dictionary[Int(rng.next() % UInt64(dictionary.count))], at: pos)
                default: if pos < b.count { b[pos] ^= UInt8(1 << (rng.next() % 8)) }
                }
            }
            run(b)
            done += 1
        }
        if let lastInput { try? FileManager.default.removeItem(at: lastInput) }
        print("Done \(done) runs in \(Int(Date().timeIntervalSince(start))) second(s)")
    }
}

/// A small, fixed-seed generator so runs are reproducible.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
#endif
