/* Just enough ELF to find and rewrite PT_INTERP, for 32/64-bit and either
 * byte order, reading only the head of the file (the program headers and the
 * interpreter string sit near the start of every real executable). */
#include <string.h>

#include "packer/internal.h"

#define PT_DYNAMIC_ 2
#define PT_INTERP_ 3
#define MAX_PHNUM 4096

static uint64_t get(const unsigned char *p, size_t n, bool be)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[be ? n - 1 - i : i] << (8 * i);
    return v;
}

int pk_elf_parse(const unsigned char *b, size_t n, uint64_t file_size, pk_elf_info *info, fl_err *err)
{
    memset(info, 0, sizeof *info);
    if (n < 16 || memcmp(b, "\x7f" "ELF", 4))
        return 0;
    if ((b[4] != 1 && b[4] != 2) || (b[5] != 1 && b[5] != 2))
        return 0; /* not a class or byte order we know: leave it alone */
    info->is_elf = true;
    info->is_64 = b[4] == 2;
    info->big_endian = b[5] == 2;
    bool be = info->big_endian;
    size_t ehsize = info->is_64 ? 64 : 52;
    if (n < ehsize)
        return fl_fail(err, "an ELF file shorter than its header");
    info->type = (uint16_t)get(b + 16, 2, be);
    info->machine = (uint16_t)get(b + 18, 2, be);
    uint64_t phoff = info->is_64 ? get(b + 32, 8, be) : get(b + 28, 4, be);
    uint64_t phentsize = get(b + (info->is_64 ? 54 : 42), 2, be);
    uint64_t phnum = get(b + (info->is_64 ? 56 : 44), 2, be);
    if (phnum == 0)
        return 0; /* an object file, or no segments: nothing to rewrite */
    if (phentsize != (info->is_64 ? 56u : 32u) || phnum > MAX_PHNUM)
        return fl_fail(err, "ELF program headers of a size or count this tool does not read");
    if (phoff > file_size || phnum * phentsize > file_size - phoff)
        return fl_fail(err, "ELF program headers beyond the end of the file");
    if (phoff + phnum * phentsize > n)
        return fl_fail(err, "ELF program headers beyond the first %zu bytes", n);
    for (uint64_t i = 0; i < phnum; i++) {
        const unsigned char *ph = b + phoff + i * phentsize;
        uint32_t type = (uint32_t)get(ph, 4, be);
        if (type == PT_DYNAMIC_)
            info->has_dynamic = true;
        if (type != PT_INTERP_)
            continue;
        uint64_t off = info->is_64 ? get(ph + 8, 8, be) : get(ph + 4, 4, be);
        uint64_t size = info->is_64 ? get(ph + 32, 8, be) : get(ph + 16, 4, be);
        if (size < 2 || size > PK_MAX_PATH || off > file_size || size > file_size - off)
            return fl_fail(err, "an ELF interpreter segment that does not fit the file");
        if (off + size > n)
            return fl_fail(err, "an ELF interpreter beyond the first %zu bytes", n);
        if (b[off + size - 1] != 0 || b[off] != '/')
            return fl_fail(err, "an ELF interpreter that is not an absolute, NUL-terminated path");
        info->has_interp = true;
        info->interp_off = off;
        info->interp_size = size;
    }
    return 0;
}

int pk_elf_set_interp(unsigned char *b, size_t n, const pk_elf_info *info, const char *new_interp, fl_err *err)
{
    size_t len = strlen(new_interp);
    if (!info->has_interp || info->interp_off + info->interp_size > n)
        return fl_fail(err, "no ELF interpreter to rewrite");
    if (len + 1 > info->interp_size)
        return fl_fail(err, "the new interpreter path %s is longer than the old one", new_interp);
    memset(b + info->interp_off, 0, (size_t)info->interp_size);
    memcpy(b + info->interp_off, new_interp, len);
    return 0;
}
