/* libFuzzer: the event stream decoder on hostile bytes (lengths, CRCs,
 * header types), and the encoder's output always decoding back to what was
 * encoded. */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "emulator/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0, used;
    emu_es_msg m;
    while (off < size && emu_es_decode(data + off, size - off, &m, &used) == 1) {
        CHECK(used >= 16 && used <= size - off);
        CHECK(m.payload >= data + off && m.payload + m.payload_len <= data + off + used);
        off += used;
    }
    /* round trip: the input as the payload of an event */
    fl_buf enc = {0};
    emu_es_event(&enc, "PayloadChunk", "application/octet-stream", data, size);
    CHECK(emu_es_decode((const uint8_t *)enc.data, enc.len, &m, &used) == 1);
    CHECK(used == enc.len && m.payload_len == size && (!size || !memcmp(m.payload, data, size)));
    CHECK(m.nheaders == 3);
    fl_buf_free(&enc);
    return 0;
}
