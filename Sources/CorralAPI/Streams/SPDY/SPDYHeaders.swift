import CZlib

/// SPDY/3 name/value header blocks: the block layout (pure) and the per-direction
/// zlib streams that compress them with SPDY/3's fixed dictionary.
enum SPDYHeaderBlock {
    /// Serializes headers: count, then length-prefixed lowercase names and values
    /// (several values of one name are joined with NUL).
    static func encode(_ headers: [(String, String)]) -> [UInt8] {
        var grouped: [(String, [String])] = []
        for (k, v) in headers {
            let name = k.lowercased()
            if let i = grouped.firstIndex(where: { $0.0 == name }) { grouped[i].1.append(v) } else { grouped.append((name, [v])) }
        }
        var out = be32(grouped.count)
        for (name, values) in grouped {
            let value = Array(values.joined(separator: "\0").utf8)
            out += be32(name.utf8.count) + Array(name.utf8) + be32(value.count) + value
        }
        return out
    }

    /// Parses a decompressed block into lowercase name -> values.
    static func decode(_ b: [UInt8]) throws -> [String: [String]] {
        var i = 0
        func int() throws -> Int {
            guard i + 4 <= b.count else { throw StreamError.protocolViolation("truncated SPDY header block") }
            defer { i += 4 }
            return Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
        }
        func string() throws -> String {
            let n = try int()
            guard n <= b.count - i else { throw StreamError.protocolViolation("truncated SPDY header block") }
            defer { i += n }
            return String(decoding: b[i..<i + n], as: UTF8.self)
        }
        let count = try int()
        guard count <= b.count / 8 else { throw StreamError.protocolViolation("SPDY header count \(count) exceeds block") }
        var out: [String: [String]] = [:]
        for _ in 0..<count {
            let name = try string().lowercased()
            let values = try string().split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
            out[name, default: []] += values
        }
        return out
    }

    /// SPDY/3's zlib dictionary (§2.6.10.1): length-prefixed common header words, then common values.
    static let dictionary: [UInt8] = {
        let words = [
            "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
            "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
            "content-base", "content-encoding", "content-language", "content-length", "content-location", "content-md5",
            "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host", "if-match",
            "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
            "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer", "retry-after",
            "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
            "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public",
            "set-cookie", "keep-alive", "origin",
        ]
        let tail = "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
            + "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
            + "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
            + "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
            + "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
            + "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
        return words.flatMap { be32($0.utf8.count) + Array($0.utf8) } + Array(tail.utf8)
    }()
}

private func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

/// The compressing direction: one zlib stream for the whole session, flushed per block.
final class SPDYHeaderDeflater {
    private var z = z_stream()
    private var ready = false

    init() throws {
        guard deflateInit_(&z, Z_BEST_COMPRESSION, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw StreamError.compression("deflateInit failed")
        }
        ready = true
        let rc = SPDYHeaderBlock.dictionary.withUnsafeBufferPointer { deflateSetDictionary(&z, $0.baseAddress, uInt($0.count)) }
        guard rc == Z_OK else { throw StreamError.compression("deflateSetDictionary: \(rc)") }
    }

    /// Compresses one header block (Z_SYNC_FLUSH, so the peer can decode it at once).
    func compress(_ input: [UInt8]) throws -> [UInt8] {
        var input = input
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        try input.withUnsafeMutableBufferPointer { inBuf in
            z.next_in = inBuf.baseAddress
            z.avail_in = uInt(inBuf.count)
            repeat {
                let produced = try chunk.withUnsafeMutableBufferPointer { outBuf -> Int in
                    z.next_out = outBuf.baseAddress
                    z.avail_out = uInt(outBuf.count)
                    let rc = deflate(&z, Z_SYNC_FLUSH)
                    guard rc == Z_OK || rc == Z_BUF_ERROR else { throw StreamError.compression("deflate: \(rc)") }
                    return outBuf.count - Int(z.avail_out)
                }
                out += chunk[0..<produced]
            } while z.avail_out == 0
            z.next_in = nil
        }
        return out
    }

    deinit { if ready { deflateEnd(&z) } }
}

/// The decompressing direction; refuses blocks that inflate beyond `limit` bytes.
final class SPDYHeaderInflater {
    private var z = z_stream()
    private var ready = false
    let limit: Int

    init(limit: Int = 256 * 1024) throws {
        self.limit = limit
        guard inflateInit_(&z, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw StreamError.compression("inflateInit failed")
        }
        ready = true
    }

    /// Decompresses one header block.
    func decompress(_ input: [UInt8]) throws -> [UInt8] {
        if input.isEmpty { return [] }
        var input = input
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        try input.withUnsafeMutableBufferPointer { inBuf in
            z.next_in = inBuf.baseAddress
            z.avail_in = uInt(inBuf.count)
            while true {
                let (rc, produced) = chunk.withUnsafeMutableBufferPointer { outBuf -> (Int32, Int) in
                    z.next_out = outBuf.baseAddress
                    z.avail_out = uInt(outBuf.count)
                    let rc = inflate(&z, Z_SYNC_FLUSH)
                    return (rc, outBuf.count - Int(z.avail_out))
                }
                out += chunk[0..<produced]
                if out.count > limit { throw StreamError.compression("header block larger than \(limit) bytes") }
                switch rc {
                case Z_NEED_DICT:
                    let d = SPDYHeaderBlock.dictionary.withUnsafeBufferPointer { inflateSetDictionary(&z, $0.baseAddress, uInt($0.count)) }
                    guard d == Z_OK else { throw StreamError.compression("inflateSetDictionary: \(d)") }
                case Z_OK:
                    if z.avail_in == 0 && z.avail_out != 0 { z.next_in = nil; return }
                case Z_BUF_ERROR:
                    z.next_in = nil
                    return  // all input consumed
                default:
                    throw StreamError.compression("inflate: \(rc)")
                }
            }
        }
        return out
    }

    deinit { if ready { inflateEnd(&z) } }
}
