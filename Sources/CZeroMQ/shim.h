#ifndef WPM_CZEROMQ_SHIM_H
#define WPM_CZEROMQ_SHIM_H
#include <zmq.h>
#include <errno.h>
#include <string.h>

/// Frames of one message that `wpm_zmq_relay` passes on at most; a message
/// with more is read whole but not passed on.
#define WPM_RELAY_MAX_FRAMES 16

/// What `wpm_zmq_relay` saw of one message.
typedef struct {
    /// Frames the message had in all.
    size_t frame_count;
    /// Sizes of its first `keep` frames (the rest are not looked at).
    size_t sizes[4];
    /// Bit i set: frame i (of the first `keep`) was larger than `max_size`.
    unsigned oversized;
    /// Whether any frame at all was larger than `max_size`.
    int any_oversized;
    /// Whether the message was passed on to `to`.
    int forwarded;
} wpm_relay_info;

/// Receives one whole message from `from` (ZMQ_DONTWAIT when `dontwait`),
/// copies each of its first `keep` (at most 4) frames of at most `max_size`
/// bytes to `copy + i * max_size`, and, when `to` is set, the message has
/// no frame above `max_size` and at most WPM_RELAY_MAX_FRAMES frames, sends
/// it on to `to` without copying (ZMQ_DONTWAIT: a full or unsubscribed XPUB
/// drops it). Returns 0, or -1 with errno (EAGAIN: nothing there).
static inline int wpm_zmq_relay(
    void *from, void *to, int dontwait, size_t keep, size_t max_size, unsigned char *copy, wpm_relay_info *info)
{
    zmq_msg_t parts[WPM_RELAY_MAX_FRAMES];
    size_t held = 0;
    int more = 1;
    int flags = dontwait ? ZMQ_DONTWAIT : 0;
    memset(info, 0, sizeof *info);
    if (keep > 4) keep = 4;
    while (more) {
        zmq_msg_t scratch;
        zmq_msg_t *part = held < WPM_RELAY_MAX_FRAMES ? &parts[held] : &scratch;
        zmq_msg_init(part);
        if (zmq_msg_recv(part, from, flags) < 0) {
            int err = errno;
            zmq_msg_close(part);
            for (size_t i = 0; i < held; i++) zmq_msg_close(&parts[i]);
            errno = err;
            return -1;
        }
        flags = 0; /* the rest of a message is already there */
        size_t index = info->frame_count++;
        size_t size = zmq_msg_size(part);
        if (size > max_size) info->any_oversized = 1;
        if (index < keep) {
            info->sizes[index] = size;
            if (size > max_size) {
                info->oversized |= 1u << index;
            } else if (size > 0) {
                memcpy(copy + index * max_size, zmq_msg_data(part), size);
            }
        }
        more = zmq_msg_more(part);
        if (part == &scratch) {
            zmq_msg_close(part);
        } else {
            held++;
        }
    }
    int forward = to != NULL && !info->any_oversized && info->frame_count <= WPM_RELAY_MAX_FRAMES;
    for (size_t i = 0; i < held; i++) {
        if (forward) {
            int sendFlags = ZMQ_DONTWAIT | (i + 1 < held ? ZMQ_SNDMORE : 0);
            if (zmq_msg_send(&parts[i], to, sendFlags) >= 0) continue;
            forward = 0; /* the message was dropped: close what is left */
        }
        zmq_msg_close(&parts[i]);
    }
    info->forwarded = forward;
    return 0;
}

/// Reads a socket monitor's event frame: the event number and its value.
static inline int wpm_zmq_monitor_event(const void *data, size_t size, unsigned *event, unsigned *value)
{
    if (size < 6) return -1;
    unsigned short e;
    unsigned int v;
    memcpy(&e, data, sizeof e);
    memcpy(&v, (const char *)data + 2, sizeof v);
    *event = e;
    *value = v;
    return 0;
}
#endif
