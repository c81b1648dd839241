import CorralModel
import Foundation

/// `PodLogOptions` from the query of `GET pods/NAME/log`, parsed and validated
/// the way kube-apiserver does.
public struct PodLogOptions: Sendable, Equatable {
    public var container: String?
    public var follow = false
    public var previous = false
    public var timestamps = false
    public var sinceSeconds: Int64?
    public var sinceTime: LogTimestamp?
    public var tailLines: Int64?
    public var limitBytes: Int64?

    public init(container: String? = nil, follow: Bool = false, previous: Bool = false, timestamps: Bool = false,
                sinceSeconds: Int64? = nil, sinceTime: LogTimestamp? = nil, tailLines: Int64? = nil, limitBytes: Int64? = nil) {
        self.container = container
        self.follow = follow
        self.previous = previous
        self.timestamps = timestamps
        self.sinceSeconds = sinceSeconds
        self.sinceTime = sinceTime
        self.tailLines = tailLines
        self.limitBytes = limitBytes
    }

    /// The earliest timestamp to show, from sinceTime or now - sinceSeconds.
    public func since(now: LogTimestamp) -> LogTimestamp? {
        if let sinceTime { return sinceTime }
        if let sinceSeconds { return LogTimestamp(seconds: now.seconds - sinceSeconds, nanos: now.nanos, offsetSeconds: 0) }
        return nil
    }

    /// Parses the query; throws 400 for unparsable values and 422 (PodLogOptions
    /// invalid) for values ValidatePodLogOptions rejects.
    public static func parse(query: [String: [String]], podName: String) throws -> PodLogOptions {
        var o = PodLogOptions()
        o.container = query["container"]?.first.flatMap { $0.isEmpty ? nil : $0 }
        o.follow = queryBool(query["follow"])
        o.previous = queryBool(query["previous"])
        o.timestamps = queryBool(query["timestamps"])
        o.sinceSeconds = try queryInt(query, "sinceSeconds")
        o.tailLines = try queryInt(query, "tailLines")
        o.limitBytes = try queryInt(query, "limitBytes")
        if let raw = query["sinceTime"]?.first, !raw.isEmpty {
            guard let t = LogTimestamp(rfc3339: raw) else {
                throw APIError.badRequest("sinceTime: Invalid value: \"\(raw)\": must be an RFC3339 time")
            }
            o.sinceTime = t
        }
        var causes: [FieldCause] = []
        if let t = o.tailLines, t < 0 {
            causes.append(.invalid("tailLines", .int(t), "must be greater than or equal to 0"))
        }
        if let l = o.limitBytes, l < 1 {
            causes.append(.invalid("limitBytes", .int(l), "must be greater than 0"))
        }
        if o.sinceSeconds != nil && o.sinceTime != nil {
            causes.append(FieldCause(reason: "FieldValueForbidden", field: "",
                                     message: "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"))
        } else if let s = o.sinceSeconds, s < 1 {
            causes.append(.invalid("sinceSeconds", .int(s), "must be greater than 0"))
        }
        if !causes.isEmpty {
            let list = causes.map(\.rendered)
            let joined = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
            throw APIError(code: 422, reason: "Invalid", message: "PodLogOptions \"\(podName)\" is invalid: \(joined)",
                           name: podName, kind: "PodLogOptions", causes: causes)
        }
        return o
    }
}

/// apimachinery's query-to-bool conversion: absent is false, "0"/"false" are
/// false, anything else (even empty) is true.
func queryBool(_ values: [String]?) -> Bool {
    guard let v = values?.first else { return false }
    return !(v == "0" || v.lowercased() == "false")
}

func queryInt(_ query: [String: [String]], _ name: String) throws -> Int64? {
    guard let raw = query[name]?.first, !raw.isEmpty else { return nil }
    guard let v = Int64(raw) else { throw APIError.badRequest("\(name): Invalid value: \"\(raw)\": must be an integer") }
    return v
}
