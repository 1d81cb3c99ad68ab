import Glibc

/// Writes all of `bytes` to `fd`, again after EINTR and short writes,
/// unless an error stops it (`errno` then says which); returns how many
/// bytes were written. Worker output, log lines, the state file, the
/// console's replies.
public func writeAll(_ fd: Int32, _ bytes: some Collection<UInt8>) -> Int {
    let array = Array(bytes)
    var offset = 0
    while offset < array.count {
        let n = retryingOnInterrupt { array.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) } }
        guard n > 0 else { break }
        offset += n
    }
    return offset
}
