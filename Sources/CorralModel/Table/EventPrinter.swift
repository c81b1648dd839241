import Foundation

/// Events: LAST SEEN TYPE REASON OBJECT (+SUBOBJECT SOURCE) MESSAGE (+FIRST SEEN
/// COUNT NAME). events.k8s.io/v1 events print the same, through the core shape.
extension TablePrinter {
    static let eventColumns: [Column] = [
        Column("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
        Column("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
        Column("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
        Column("Object", "The object that this event is about."),
        Column("Subobject", priority: 1, "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]."),
        Column("Source", priority: 1, "The component reporting this event. Should be a short machine understandable string."),
        Column("Message", "A human-readable description of the status of this operation."),
        Column("First Seen", priority: 1, "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"),
        Column("Count", priority: 1, "The number of times this event has occurred."),
        Column("Name", format: "name", priority: 1, nameDescription),
    ]

    static let eventPrinter = Printer(columns: eventColumns, cells: { ev, now in eventCells(ev, now) })

    static let eventsV1Printer = Printer(columns: eventColumns, cells: { ev, now in eventCells(coreEvent(fromV1: ev), now) })

    /// An events.k8s.io/v1 Event in core/v1 field names.
    static func coreEvent(fromV1 ev: JSONValue) -> JSONValue {
        var core = JSONObject()
        let renames: [(String, String)] = [
            ("metadata", "metadata"), ("regarding", "involvedObject"), ("note", "message"),
            ("deprecatedSource", "source"), ("deprecatedFirstTimestamp", "firstTimestamp"),
            ("deprecatedLastTimestamp", "lastTimestamp"), ("deprecatedCount", "count"),
            ("reportingController", "reportingComponent"), ("reportingInstance", "reportingInstance"),
            ("eventTime", "eventTime"), ("series", "series"), ("type", "type"), ("reason", "reason"),
        ]
        for (from, to) in renames {
            if let v = ev[from] { core[to] = v }
        }
        return .object(core)
    }

    static func eventCells(_ ev: JSONValue, _ now: Date) -> [JSONValue] {
        func present(_ v: JSONValue?) -> String? {
            guard let s = v?.stringValue, !s.isEmpty else { return nil }
            return s
        }
        var first = translateTimestampSince(present(ev["firstTimestamp"]), now: now)
        if present(ev["firstTimestamp"]) == nil {
            first = translateTimestampSince(present(ev["eventTime"]), now: now)
        }
        var last = translateTimestampSince(present(ev["lastTimestamp"]), now: now)
        if present(ev["lastTimestamp"]) == nil { last = first }
        var count = int(ev["count"])
        if let series = ev["series"], series.objectValue != nil {
            last = translateTimestampSince(present(series["lastObservedTime"]), now: now)
            count = int(series["count"])
        } else if count == 0 {
            count = 1
        }
        let kind = str(ev[path: ["involvedObject", "kind"]]).lowercased()
        let objName = str(ev[path: ["involvedObject", "name"]])
        let target = objName.isEmpty ? kind : "\(kind)/\(objName)"
        let component = present(ev[path: ["source", "component"]]) ?? str(ev["reportingComponent"])
        let instance = present(ev[path: ["source", "host"]]) ?? str(ev["reportingInstance"])
        let source = instance.isEmpty ? component : "\(component), \(instance)"
        let message = str(ev["message"]).trimmingCharacters(in: .whitespacesAndNewlines)
        return [.string(last), .string(str(ev["type"])), .string(str(ev["reason"])), .string(target),
                .string(str(ev[path: ["involvedObject", "fieldPath"]])), .string(source), .string(message),
                .string(first), .int(count), .string(name(ev))]
    }
}
