/* mvt.c — MVT 2.1 protobuf encoding (see mvt.h for why by hand).
 *
 * Wire format reminders (field << 3 | wire type): Tile.layers 0x1A;
 * Layer.name 0x0A, features 0x12, keys 0x1A, values 0x22, extent 0x28,
 * version 0x78; Feature.id 0x08, tags 0x12 (packed), type 0x18, geometry
 * 0x22 (packed); Value.string 0x0A, float 0x15, uint 0x28. */
#include "mvt.h"

#include <stdlib.h>
#include <string.h>

enum { V_FLOAT = 1, V_UINT = 2, V_STRING = 3 };

struct cr_mvt_value_slot {
    uint64_t hash;
    uint64_t bits; /* float bits or the uint */
    char *str;
    uint32_t index;
    unsigned char type; /* 0 = empty */
};

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return mix(h);
}

int cr_mvt_layer_init(struct cr_mvt_layer *l, const char *name, uint32_t extent,
                      const char *const *keys, size_t nkeys)
{
    memset(l, 0, sizeof *l);
    size_t n = strlen(name);
    if (n >= sizeof l->name)
        n = sizeof l->name - 1;
    memcpy(l->name, name, n);
    l->extent = extent;
    l->keys = keys;
    l->nkeys = nkeys;
    l->key_out = malloc((nkeys ? nkeys : 1) * sizeof *l->key_out);
    l->key_order = malloc((nkeys ? nkeys : 1) * sizeof *l->key_order);
    l->nslots = 1024;
    l->slots = calloc(l->nslots, sizeof *l->slots);
    if (!l->key_out || !l->key_order || !l->slots) {
        cr_mvt_layer_free(l);
        return CR_EINTERNAL;
    }
    for (size_t i = 0; i < nkeys; i++)
        l->key_out[i] = -1;
    return CR_OK;
}

static void clear_slots(struct cr_mvt_layer *l)
{
    for (size_t i = 0; i < l->nslots; i++) {
        free(l->slots[i].str);
        l->slots[i].str = NULL;
        l->slots[i].type = 0;
    }
    l->nvalues = 0;
}

void cr_mvt_layer_reset(struct cr_mvt_layer *l)
{
    for (size_t i = 0; i < l->nkeys; i++)
        l->key_out[i] = -1;
    l->nkeys_out = 0;
    clear_slots(l);
    cr_bytes_reset(&l->values);
    cr_bytes_reset(&l->features);
    cr_bytes_reset(&l->tags);
    cr_bytes_reset(&l->geom);
    l->nfeatures = 0;
    l->failed = 0;
}

void cr_mvt_layer_free(struct cr_mvt_layer *l)
{
    if (l->slots)
        clear_slots(l);
    free(l->slots);
    free(l->key_out);
    free(l->key_order);
    cr_bytes_free(&l->values);
    cr_bytes_free(&l->features);
    cr_bytes_free(&l->tags);
    cr_bytes_free(&l->geom);
    memset(l, 0, sizeof *l);
}

void cr_mvt_feature_begin(struct cr_mvt_layer *l, uint64_t id, enum cr_mvt_geom_type type)
{
    cr_bytes_reset(&l->tags);
    cr_bytes_reset(&l->geom);
    l->fid = id;
    l->ftype = (int)type;
    l->cx = l->cy = 0;
}

static void cmd(struct cr_bytes *g, unsigned id, uint32_t count)
{
    cr_bytes_varint(g, (id & 7u) | (count << 3));
}

void cr_mvt_ring(struct cr_mvt_layer *l, const int32_t *xy, size_t n)
{
    if (n < 3)
        return;
    struct cr_bytes *g = &l->geom;
    cmd(g, 1, 1); /* MoveTo */
    cr_bytes_varint(g, cr_zigzag32(xy[0] - l->cx));
    cr_bytes_varint(g, cr_zigzag32(xy[1] - l->cy));
    l->cx = xy[0];
    l->cy = xy[1];
    cmd(g, 2, (uint32_t)(n - 1)); /* LineTo */
    for (size_t i = 1; i < n; i++) {
        cr_bytes_varint(g, cr_zigzag32(xy[2 * i] - l->cx));
        cr_bytes_varint(g, cr_zigzag32(xy[2 * i + 1] - l->cy));
        l->cx = xy[2 * i];
        l->cy = xy[2 * i + 1];
    }
    cmd(g, 7, 1); /* ClosePath */
}

static int grow_slots(struct cr_mvt_layer *l)
{
    size_t n = l->nslots * 2;
    struct cr_mvt_value_slot *s = calloc(n, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < l->nslots; i++) {
        if (!l->slots[i].type)
            continue;
        size_t j = l->slots[i].hash & (n - 1);
        while (s[j].type)
            j = (j + 1) & (n - 1);
        s[j] = l->slots[i];
    }
    free(l->slots);
    l->slots = s;
    l->nslots = n;
    return 0;
}

/* Index of the value in the layer's value table, adding it when new. */
static long value_index(struct cr_mvt_layer *l, int type, uint64_t bits, const char *str)
{
    if (l->nvalues * 2 >= l->nslots && grow_slots(l) != 0)
        return -1;
    uint64_t h = type == V_STRING ? hash_str(str) : mix(bits * 31 + (uint64_t)type);
    size_t j = h & (l->nslots - 1);
    for (;; j = (j + 1) & (l->nslots - 1)) {
        struct cr_mvt_value_slot *s = &l->slots[j];
        if (!s->type)
            break;
        if (s->hash == h && s->type == type &&
            (type == V_STRING ? strcmp(s->str, str) == 0 : s->bits == bits))
            return s->index;
    }
    struct cr_mvt_value_slot *s = &l->slots[j];
    if (type == V_STRING && !(s->str = strdup(str)))
        return -1;
    s->type = (unsigned char)type;
    s->hash = h;
    s->bits = bits;
    s->index = (uint32_t)l->nvalues++;
    /* Layer.values: a Value message */
    struct cr_bytes *v = &l->values;
    cr_bytes_byte(v, 0x22);
    if (type == V_FLOAT) {
        cr_bytes_byte(v, 5);
        cr_bytes_byte(v, 0x15);
        cr_bytes_le32(v, (uint32_t)bits);
    } else if (type == V_UINT) {
        cr_bytes_varint(v, 1 + cr_varint_size(bits));
        cr_bytes_byte(v, 0x28);
        cr_bytes_varint(v, bits);
    } else {
        size_t n = strlen(str);
        cr_bytes_varint(v, 1 + cr_varint_size(n) + n);
        cr_bytes_byte(v, 0x0A);
        cr_bytes_varint(v, n);
        cr_bytes_add(v, str, n);
    }
    return s->index;
}

static void tag(struct cr_mvt_layer *l, size_t key, int type, uint64_t bits, const char *str)
{
    if (key >= l->nkeys) {
        l->failed = 1;
        return;
    }
    long vi = value_index(l, type, bits, str);
    if (vi < 0) {
        l->failed = 1;
        return;
    }
    if (l->key_out[key] < 0) {
        l->key_out[key] = (int)l->nkeys_out;
        l->key_order[l->nkeys_out++] = key;
    }
    cr_bytes_varint(&l->tags, (uint64_t)l->key_out[key]);
    cr_bytes_varint(&l->tags, (uint64_t)vi);
}

void cr_mvt_tag_float(struct cr_mvt_layer *l, size_t key, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, 4);
    tag(l, key, V_FLOAT, bits, NULL);
}

void cr_mvt_tag_uint(struct cr_mvt_layer *l, size_t key, uint64_t v)
{
    tag(l, key, V_UINT, v, NULL);
}

void cr_mvt_tag_string(struct cr_mvt_layer *l, size_t key, const char *s)
{
    tag(l, key, V_STRING, 0, s);
}

int cr_mvt_feature_end(struct cr_mvt_layer *l)
{
    if (l->geom.len == 0)
        return 0;
    size_t body = 1 + cr_varint_size(l->fid);              /* id */
    body += 1 + cr_varint_size(l->tags.len) + l->tags.len; /* tags */
    body += 2;                                             /* type */
    body += 1 + cr_varint_size(l->geom.len) + l->geom.len; /* geometry */
    struct cr_bytes *f = &l->features;
    cr_bytes_byte(f, 0x12);
    cr_bytes_varint(f, body);
    cr_bytes_byte(f, 0x08);
    cr_bytes_varint(f, l->fid);
    cr_bytes_byte(f, 0x12);
    cr_bytes_varint(f, l->tags.len);
    cr_bytes_add(f, l->tags.p, l->tags.len);
    cr_bytes_byte(f, 0x18);
    cr_bytes_byte(f, (unsigned char)l->ftype);
    cr_bytes_byte(f, 0x22);
    cr_bytes_varint(f, l->geom.len);
    cr_bytes_add(f, l->geom.p, l->geom.len);
    l->nfeatures++;
    return 1;
}

int cr_mvt_layer_write(struct cr_mvt_layer *l, struct cr_bytes *tile)
{
    if (l->failed || cr_bytes_failed(&l->values) || cr_bytes_failed(&l->features) ||
        cr_bytes_failed(&l->tags) || cr_bytes_failed(&l->geom))
        return CR_EINTERNAL;
    if (l->nfeatures == 0)
        return CR_OK;
    size_t name_len = strlen(l->name);
    size_t keys_len = 0;
    for (size_t i = 0; i < l->nkeys_out; i++) {
        size_t n = strlen(l->keys[l->key_order[i]]);
        keys_len += 1 + cr_varint_size(n) + n;
    }
    size_t body = 2;                                    /* version */
    body += 1 + cr_varint_size(name_len) + name_len;    /* name */
    body += l->features.len + keys_len + l->values.len; /* features, keys, values */
    body += 1 + cr_varint_size(l->extent);              /* extent */
    cr_bytes_byte(tile, 0x1A);
    cr_bytes_varint(tile, body);
    cr_bytes_byte(tile, 0x78); /* version = 2, first as the spec asks */
    cr_bytes_byte(tile, 2);
    cr_bytes_byte(tile, 0x0A);
    cr_bytes_varint(tile, name_len);
    cr_bytes_add(tile, l->name, name_len);
    cr_bytes_add(tile, l->features.p, l->features.len);
    for (size_t i = 0; i < l->nkeys_out; i++) {
        const char *k = l->keys[l->key_order[i]];
        size_t n = strlen(k);
        cr_bytes_byte(tile, 0x1A);
        cr_bytes_varint(tile, n);
        cr_bytes_add(tile, k, n);
    }
    cr_bytes_add(tile, l->values.p, l->values.len);
    cr_bytes_byte(tile, 0x28);
    cr_bytes_varint(tile, l->extent);
    return cr_bytes_failed(tile) ? CR_EINTERNAL : CR_OK;
}
