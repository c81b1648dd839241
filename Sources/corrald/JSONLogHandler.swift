import CorralModel
import Foundation
import Logging

/// Writes one JSON object per log line to stderr (structured log for events and access).
struct JSONLogHandler: LogHandler {
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        var o = JSONObject()
        o["ts"] = .string(ObjectLifecycle.timestamp(Date()))
        o["level"] = .string(level.rawValue)
        o["msg"] = .string(message.description)
        for (k, v) in metadata.merging(extra ?? [:], uniquingKeysWith: { $1 }) { o[k] = .string("\(v)") }
        var bytes = JSONValue.object(o).serialized()
        bytes.append(0x0A)
        bytes.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, stderr) }
    }
}
