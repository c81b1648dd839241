/// Signal names as images write them (`StopSignal`): "SIGTERM", "TERM", "15", "SIGRTMIN+3".
public enum Signals {
    static let table: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
        "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17,
        "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25,
        "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31,
    ]

    /// The Linux signal number, or nil for an unknown name.
    public static func number(_ name: String) -> Int32? {
        if let n = Int32(name), n > 0, n < 65 { return n }
        var s = name.uppercased()
        if s.hasPrefix("SIG") { s.removeFirst(3) }
        if let n = table[s] { return n }
        for (base, value) in [("RTMIN", Int32(34)), ("RTMAX", Int32(64))] where s.hasPrefix(base) {
            let rest = s.dropFirst(base.count)
            if rest.isEmpty { return value }
            guard let off = Int32(rest), (base == "RTMIN" ? off > 0 : off < 0) else { return nil }
            let n = value + off
            return (34...64).contains(n) ? n : nil
        }
        return nil
    }
}
