import Glibc

/// Writes all of `bytes` to `fd`, again after EINTR and short writes,
/// unless an error stops it (`errno` then says which); returns how many
/// bytes were written. Worker output, log lines, the state file.
func writeAll(_ fd: Int32, _ bytes: some Collection<UInt8>) -> Int {
    let array = Array(bytes)
    var offset = 0
    while offset < array.count {
        let n = array.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n > 0 {
            offset += n
        } else if n < 0, errno == EINTR {
            continue
        } else {
            break
        }
    }
    return offset
}
