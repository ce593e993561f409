/*
 * ngx_http_trinity_module: runs a Trinity plugin's `export fn handle(req)` as a location's
 * content handler, through the C embedding API only (runtime/trinity_c.h). Plugins are
 * compiled and verified at configuration time; each worker keeps a small pool of
 * instances per location, reset after every request. Directives: docs/NGINX.md.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "isolation/trinity_isolation_c.h"
#include "lang/trinity_compile_c.h"
#include "runtime/trinity_c.h"


#define NGX_HTTP_TRINITY_MAX_ARGS     100
#define NGX_HTTP_TRINITY_MAX_HEADERS  100


typedef struct {
    ngx_uint_t                  isolation;    /* trinity_isolation_t */
    ngx_str_t                   seccomp;      /* policy name; empty: none */
    ngx_array_t                 locations;    /* ngx_http_trinity_loc_conf_t * */
} ngx_http_trinity_main_conf_t;


typedef struct {
    ngx_str_t                   path;         /* plugin file, as configured */
    trinity_module_t           *module;
    trinity_host_t             *host;
    ngx_array_t                *params;       /* ngx_keyval_t, trinity_param */

    ngx_uint_t                  fuel;
    size_t                      heap;
    ngx_msec_t                  timeout;
    ngx_uint_t                  depth;
    ngx_uint_t                  trap_status;
    size_t                      max_body;
    ngx_uint_t                  pool_size;

    /* per worker, after fork: idle instances ready for the next request */
    trinity_instance_t        **idle;
    ngx_uint_t                  nidle;
    ngx_uint_t                  isolation;
} ngx_http_trinity_loc_conf_t;


static ngx_int_t ngx_http_trinity_handler(ngx_http_request_t *r);
static void ngx_http_trinity_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_trinity_run(ngx_http_request_t *r);
static trinity_value_t *ngx_http_trinity_request(ngx_http_request_t *r,
    ngx_http_trinity_loc_conf_t *tlcf);
static ngx_int_t ngx_http_trinity_respond(ngx_http_request_t *r,
    ngx_http_trinity_loc_conf_t *tlcf, const trinity_value_t *result);
static void ngx_http_trinity_log_trap(ngx_http_request_t *r,
    ngx_http_trinity_loc_conf_t *tlcf, trinity_trap_t *trap);

static trinity_instance_t *ngx_http_trinity_acquire(ngx_log_t *log,
    ngx_http_trinity_loc_conf_t *tlcf);
static void ngx_http_trinity_release(ngx_http_trinity_loc_conf_t *tlcf,
    trinity_instance_t *instance);

static trinity_value_t *ngx_http_trinity_host_param(void *data,
    trinity_call_t *call);
static trinity_value_t *ngx_http_trinity_host_log(void *data,
    trinity_call_t *call);

static char *ngx_http_trinity_content_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_trinity_limits(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_trinity_param(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_trinity_isolation(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_trinity_seccomp(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

static void *ngx_http_trinity_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_trinity_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_trinity_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_trinity_init_process(ngx_cycle_t *cycle);
static void ngx_http_trinity_exit_process(ngx_cycle_t *cycle);
static void ngx_http_trinity_cleanup_module(void *data);


/* The request whose handler is running: host functions log against it. Workers run
 * one handler at a time, and a handler runs its plugin call to completion. */
static ngx_http_request_t  *ngx_http_trinity_current;


static ngx_conf_num_bounds_t  ngx_http_trinity_status_bounds = {
    ngx_conf_check_num_bounds, 400, 599
};


static ngx_command_t  ngx_http_trinity_commands[] = {

    { ngx_string("content_by_trinity_file"),
      NGX_HTTP_LOC_CONF|NGX_HTTP_LIF_CONF|NGX_CONF_TAKE1,
      ngx_http_trinity_content_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("trinity_limits"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_trinity_limits,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("trinity_param"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_trinity_param,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("trinity_trap_status"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trinity_loc_conf_t, trap_status),
      &ngx_http_trinity_status_bounds },

    { ngx_string("trinity_max_body"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trinity_loc_conf_t, max_body),
      NULL },

    { ngx_string("trinity_pool_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_trinity_loc_conf_t, pool_size),
      NULL },

    { ngx_string("trinity_isolation"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_trinity_isolation,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("trinity_seccomp"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_trinity_seccomp,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_trinity_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_trinity_create_main_conf,     /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_trinity_create_loc_conf,      /* create location configuration */
    ngx_http_trinity_merge_loc_conf        /* merge location configuration */
};


ngx_module_t  ngx_http_trinity_module = {
    NGX_MODULE_V1,
    &ngx_http_trinity_module_ctx,          /* module context */
    ngx_http_trinity_commands,             /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_trinity_init_process,         /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_trinity_exit_process,         /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* ---- request handling ------------------------------------------------------------ */

static ngx_int_t
ngx_http_trinity_handler(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_http_trinity_loc_conf_t  *tlcf;

    tlcf = ngx_http_get_module_loc_conf(r, ngx_http_trinity_module);

    if (r->headers_in.content_length_n > (off_t) tlcf->max_body) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "trinity: request body of %O bytes exceeds trinity_max_body %uz",
                      r->headers_in.content_length_n, tlcf->max_body);
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_trinity_run(r);
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_trinity_body_handler);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_trinity_body_handler(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r, ngx_http_trinity_run(r));
}


static ngx_int_t
ngx_http_trinity_run(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    trinity_value_t              *req, *result;
    trinity_trap_t               *trap;
    trinity_status_t              status;
    trinity_instance_t           *instance;
    const trinity_value_t        *args[1];
    ngx_http_trinity_loc_conf_t  *tlcf;

    tlcf = ngx_http_get_module_loc_conf(r, ngx_http_trinity_module);

    req = ngx_http_trinity_request(r, tlcf);
    if (req == NULL) {
        /* the body was over the limit (logged), or memory ran out */
        return r->headers_out.status ? (ngx_int_t) r->headers_out.status
                                     : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    instance = ngx_http_trinity_acquire(r->connection->log, tlcf);
    if (instance == NULL) {
        trinity_value_delete(req);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    args[0] = req;
    result = NULL;
    trap = NULL;

    ngx_http_trinity_current = r;
    status = trinity_instance_call(instance, "handle", args, 1, &result, &trap);
    ngx_http_trinity_current = NULL;

    trinity_value_delete(req);

    /* Nothing of this request may reach the next one: the heap and the globals go. */
    trinity_instance_reset(instance);
    ngx_http_trinity_release(tlcf, instance);

    if (status == TRINITY_TRAP) {
        ngx_http_trinity_log_trap(r, tlcf, trap);
        trinity_trap_delete(trap);
        return tlcf->trap_status;
    }

    if (status != TRINITY_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "trinity: plugin \"%V\": call failed: %s",
                      &tlcf->path, trinity_status_name(status));
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_trinity_respond(r, tlcf, result);
    trinity_value_delete(result);

    return rc;
}


static void
ngx_http_trinity_log_trap(ngx_http_request_t *r,
    ngx_http_trinity_loc_conf_t *tlcf, trinity_trap_t *trap)
{
    const char  *function;

    function = trinity_trap_function(trap);

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "trinity: plugin \"%V\" trapped in fn %s at line %uD: %s: %s",
                  &tlcf->path, function[0] ? function : "<top>",
                  trinity_trap_line(trap),
                  trinity_trap_kind_name(trinity_trap_kind(trap)),
                  trinity_trap_message(trap));
}


/* ---- the request map: method, uri, query, args, headers, body -------------------- */

static ngx_int_t
ngx_http_trinity_set(trinity_value_t *map, const char *key, size_t len,
    trinity_value_t *value)
{
    if (value == NULL) {
        return NGX_ERROR;
    }

    return trinity_value_map_set_string(map, key, len, value) == TRINITY_OK
           ? NGX_OK : NGX_ERROR;
}


static trinity_value_t *
ngx_http_trinity_str(ngx_str_t *s)
{
    return trinity_value_string((const char *) s->data, s->len);
}


/* "a=1&b=x%20y+z": percent-decoding and '+' as space, as form encoding has it. A repeated
 * name keeps its last value; at most NGX_HTTP_TRINITY_MAX_ARGS pairs are read. */
static trinity_value_t *
ngx_http_trinity_args(ngx_http_request_t *r)
{
    u_char           *p, *end, *amp, *eq, *dst, *src, *buf;
    size_t            klen;
    ngx_uint_t        n;
    trinity_value_t  *args;

    args = trinity_value_map();
    if (args == NULL || r->args.len == 0) {
        return args;
    }

    buf = ngx_pnalloc(r->pool, r->args.len);
    if (buf == NULL) {
        trinity_value_delete(args);
        return NULL;
    }

    p = r->args.data;
    end = p + r->args.len;

    for (n = 0; p < end && n < NGX_HTTP_TRINITY_MAX_ARGS; p = amp + 1) {
        amp = ngx_strlchr(p, end, '&');
        if (amp == NULL) {
            amp = end;
        }

        if (amp == p) {
            continue;
        }

        n++;

        eq = ngx_strlchr(p, amp, '=');
        if (eq == NULL) {
            eq = amp;
        }

        /* decode the name into buf, then the value right after it */
        ngx_memcpy(buf, p, amp - p);
        for (dst = buf; dst < buf + (amp - p); dst++) {
            if (*dst == '+') {
                *dst = ' ';
            }
        }

        src = buf;
        dst = buf;
        ngx_unescape_uri(&dst, &src, eq - p, 0);
        klen = dst - buf;

        if (eq < amp) {
            u_char  *vstart = dst;

            src = buf + (eq - p) + 1;
            ngx_unescape_uri(&dst, &src, amp - eq - 1, 0);

            if (ngx_http_trinity_set(args, (const char *) buf, klen,
                    trinity_value_string((const char *) vstart, dst - vstart))
                != NGX_OK)
            {
                trinity_value_delete(args);
                return NULL;
            }

        } else if (ngx_http_trinity_set(args, (const char *) buf, klen,
                       trinity_value_string("", 0))
                   != NGX_OK)
        {
            trinity_value_delete(args);
            return NULL;
        }

        if (amp == end) {
            break;
        }
    }

    return args;
}


/* Lower-case names; a repeated header's values are joined with ", ". */
static trinity_value_t *
ngx_http_trinity_headers(ngx_http_request_t *r)
{
    size_t            len;
    u_char           *buf, *p;
    ngx_uint_t        i, j, n, seen;
    ngx_list_part_t  *part, *other;
    ngx_table_elt_t  *h, *o;
    trinity_value_t  *headers;

    headers = trinity_value_map();
    if (headers == NULL) {
        return NULL;
    }

    n = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0 || n++ >= NGX_HTTP_TRINITY_MAX_HEADERS) {
            continue;
        }

        /* Is there another one with this name? Then join them all, at the first. */
        len = h[i].value.len;
        seen = 0;
        other = part;
        o = h;

        for (j = i + 1; /* void */; j++) {
            if (j >= other->nelts) {
                if (other->next == NULL) {
                    break;
                }

                other = other->next;
                o = other->elts;
                j = 0;
            }

            if (o[j].hash != 0 && o[j].key.len == h[i].key.len
                && ngx_strncmp(o[j].lowcase_key, h[i].lowcase_key, h[i].key.len) == 0)
            {
                len += 2 + o[j].value.len;
                seen = 1;
            }
        }

        if (seen) {
            /* an earlier occurrence already took this name's values */
            if (trinity_value_map_get_string(headers, (const char *) h[i].lowcase_key,
                                             h[i].key.len) != NULL)
            {
                continue;
            }

            buf = ngx_pnalloc(r->pool, len);
            if (buf == NULL) {
                trinity_value_delete(headers);
                return NULL;
            }

            p = ngx_cpymem(buf, h[i].value.data, h[i].value.len);
            other = part;
            o = h;

            for (j = i + 1; /* void */; j++) {
                if (j >= other->nelts) {
                    if (other->next == NULL) {
                        break;
                    }

                    other = other->next;
                    o = other->elts;
                    j = 0;
                }

                if (o[j].hash != 0 && o[j].key.len == h[i].key.len
                    && ngx_strncmp(o[j].lowcase_key, h[i].lowcase_key,
                                   h[i].key.len) == 0)
                {
                    *p++ = ','; *p++ = ' ';
                    p = ngx_cpymem(p, o[j].value.data, o[j].value.len);
                }
            }

            if (ngx_http_trinity_set(headers, (const char *) h[i].lowcase_key,
                    h[i].key.len, trinity_value_string((const char *) buf, p - buf))
                != NGX_OK)
            {
                trinity_value_delete(headers);
                return NULL;
            }

            continue;
        }

        if (trinity_value_map_get_string(headers, (const char *) h[i].lowcase_key,
                                         h[i].key.len) != NULL)
        {
            continue;
        }

        if (ngx_http_trinity_set(headers, (const char *) h[i].lowcase_key,
                h[i].key.len, ngx_http_trinity_str(&h[i].value))
            != NGX_OK)
        {
            trinity_value_delete(headers);
            return NULL;
        }
    }

    return headers;
}


/* The body read by ngx_http_read_client_request_body: in memory, or in a temporary file
 * when it outgrew client_body_buffer_size. NULL with 413 set when over trinity_max_body. */
static trinity_value_t *
ngx_http_trinity_body(ngx_http_request_t *r, ngx_http_trinity_loc_conf_t *tlcf)
{
    off_t             size;
    u_char           *buf, *p;
    ssize_t           n;
    ngx_buf_t        *b;
    ngx_chain_t      *cl;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return trinity_value_string("", 0);
    }

    size = 0;
    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);
    }

    if (size > (off_t) tlcf->max_body) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "trinity: request body of %O bytes exceeds trinity_max_body %uz",
                      size, tlcf->max_body);
        r->headers_out.status = NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
        return NULL;
    }

    buf = ngx_pnalloc(r->pool, size ? (size_t) size : 1);
    if (buf == NULL) {
        return NULL;
    }

    p = buf;
    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            n = ngx_read_file(b->file, p, b->file_last - b->file_pos, b->file_pos);
            if (n != b->file_last - b->file_pos) {
                return NULL;
            }

            p += n;
            continue;
        }

        p = ngx_cpymem(p, b->pos, b->last - b->pos);
    }

    return trinity_value_string((const char *) buf, p - buf);
}


static trinity_value_t *
ngx_http_trinity_request(ngx_http_request_t *r, ngx_http_trinity_loc_conf_t *tlcf)
{
    trinity_value_t  *req, *body;

    body = ngx_http_trinity_body(r, tlcf);
    if (body == NULL) {
        return NULL;
    }

    req = trinity_value_map();
    if (req == NULL
        || ngx_http_trinity_set(req, "method", 6,
                                ngx_http_trinity_str(&r->method_name)) != NGX_OK
        || ngx_http_trinity_set(req, "uri", 3, ngx_http_trinity_str(&r->uri)) != NGX_OK
        || ngx_http_trinity_set(req, "query", 5, ngx_http_trinity_str(&r->args)) != NGX_OK
        || ngx_http_trinity_set(req, "args", 4, ngx_http_trinity_args(r)) != NGX_OK
        || ngx_http_trinity_set(req, "headers", 7, ngx_http_trinity_headers(r)) != NGX_OK
        || ngx_http_trinity_set(req, "body", 4, body) != NGX_OK)
    {
        trinity_value_delete(req);
        return NULL;
    }

    return req;
}


/* ---- the response: a string, or {status, headers, body} --------------------------- */

/* A header name is a non-empty token; a value has no line break or NUL. */
static ngx_int_t
ngx_http_trinity_header_valid(const trinity_value_t *key, const trinity_value_t *value)
{
    size_t       klen, vlen, i;
    const char  *k, *v;

    k = trinity_value_as_string(key, &klen);
    v = trinity_value_as_string(value, &vlen);

    if (trinity_value_type(key) != TRINITY_STRING
        || trinity_value_type(value) != TRINITY_STRING || klen == 0)
    {
        return 0;
    }

    for (i = 0; i < klen; i++) {
        if (k[i] <= ' ' || k[i] == ':' || k[i] >= 0x7f) {
            return 0;
        }
    }

    for (i = 0; i < vlen; i++) {
        if (v[i] == '\r' || v[i] == '\n' || v[i] == '\0') {
            return 0;
        }
    }

    return 1;
}


static ngx_int_t
ngx_http_trinity_add_header(ngx_http_request_t *r, const trinity_value_t *key,
    const trinity_value_t *value)
{
    size_t            klen, vlen;
    u_char           *p;
    const char       *k, *v;
    ngx_table_elt_t  *h;

    k = trinity_value_as_string(key, &klen);
    v = trinity_value_as_string(value, &vlen);

    p = ngx_pnalloc(r->pool, klen + vlen);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, k, klen);
    ngx_memcpy(p + klen, v, vlen);

    if (klen == sizeof("content-type") - 1
        && ngx_strncasecmp(p, (u_char *) "content-type", klen) == 0)
    {
        r->headers_out.content_type.data = p + klen;
        r->headers_out.content_type.len = vlen;
        r->headers_out.content_type_len = vlen;
        r->headers_out.content_type_lowcase = NULL;
        return NGX_OK;
    }

    if (klen == sizeof("content-length") - 1
        && ngx_strncasecmp(p, (u_char *) "content-length", klen) == 0)
    {
        return NGX_OK;  /* the body's length is set from the body */
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = p;
    h->key.len = klen;
    h->value.data = p + klen;
    h->value.len = vlen;

    return NGX_OK;
}


static ngx_int_t
ngx_http_trinity_respond(ngx_http_request_t *r, ngx_http_trinity_loc_conf_t *tlcf,
    const trinity_value_t *result)
{
    size_t                  len;
    int64_t                 status;
    ngx_int_t               rc;
    ngx_buf_t              *b;
    ngx_uint_t              i;
    const char             *body;
    ngx_chain_t             out;
    const trinity_value_t  *v, *headers;

    status = NGX_HTTP_OK;
    headers = NULL;

    if (trinity_value_type(result) == TRINITY_STRING) {
        body = trinity_value_as_string(result, &len);

    } else if (trinity_value_type(result) == TRINITY_MAP) {
        v = trinity_value_map_get_string(result, "status", 6);
        if (v != NULL) {
            if (trinity_value_type(v) != TRINITY_INT) {
                goto invalid;
            }

            status = trinity_value_as_int(v);
            if (status < 200 || status > 599) {
                goto invalid;
            }
        }

        v = trinity_value_map_get_string(result, "body", 4);
        body = "";
        len = 0;
        if (v != NULL && trinity_value_type(v) != TRINITY_NIL) {
            body = trinity_value_as_string(v, &len);
            if (body == NULL || trinity_value_type(v) != TRINITY_STRING) {
                goto invalid;
            }
        }

        headers = trinity_value_map_get_string(result, "headers", 7);
        if (headers != NULL && trinity_value_type(headers) != TRINITY_MAP) {
            goto invalid;
        }

        for (i = 0; i < trinity_value_len(headers); i++) {
            if (!ngx_http_trinity_header_valid(trinity_value_map_key(headers, i),
                                               trinity_value_map_value(headers, i)))
            {
                goto invalid;
            }
        }

    } else {
        goto invalid;
    }

    r->headers_out.status = (ngx_uint_t) status;
    r->headers_out.content_length_n = len;

    if (headers != NULL) {
        for (i = 0; i < trinity_value_len(headers); i++) {
            if (ngx_http_trinity_add_header(r, trinity_value_map_key(headers, i),
                                            trinity_value_map_value(headers, i))
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    if (r->headers_out.content_type.len == 0
        && ngx_http_set_content_type(r) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->pos, body, len);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);

invalid:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "trinity: plugin \"%V\": handle must return a string or a map "
                  "{status: 200..599, headers: map of string names (tokens) to string "
                  "values, body: string}, got %s",
                  &tlcf->path, trinity_type_name(trinity_value_type(result)));

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* ---- per-worker instance pool --------------------------------------------------- */

static trinity_instance_t *
ngx_http_trinity_acquire(ngx_log_t *log, ngx_http_trinity_loc_conf_t *tlcf)
{
    trinity_error_t            *error;
    trinity_status_t            status;
    trinity_instance_t         *instance;
    trinity_instance_config_t   config;

    if (tlcf->nidle > 0) {
        return tlcf->idle[--tlcf->nidle];
    }

    trinity_instance_config_init(&config);
    config.limits.fuel = tlcf->fuel;
    config.limits.max_heap_bytes = tlcf->heap;
    config.limits.timeout_ms = (uint32_t) tlcf->timeout;
    config.limits.max_depth = (uint32_t) tlcf->depth;

    error = NULL;
    instance = NULL;
    status = trinity_instance_new_isolated(tlcf->module, tlcf->host, &config,
                                           (trinity_isolation_t) tlcf->isolation,
                                           &instance, &error);
    if (status != TRINITY_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "trinity: plugin \"%V\": cannot create an instance: %s",
                      &tlcf->path, trinity_error_message(error));
        trinity_error_delete(error);
        return NULL;
    }

    return instance;
}


static void
ngx_http_trinity_release(ngx_http_trinity_loc_conf_t *tlcf,
    trinity_instance_t *instance)
{
    if (tlcf->idle != NULL && tlcf->nidle < tlcf->pool_size) {
        tlcf->idle[tlcf->nidle++] = instance;
        return;
    }

    trinity_instance_delete(instance);
}


static ngx_int_t
ngx_http_trinity_init_process(ngx_cycle_t *cycle)
{
    const char                    *reason;
    ngx_uint_t                     i;
    trinity_error_t               *error;
    trinity_instance_t            *instance;
    ngx_http_trinity_loc_conf_t  **locations, *tlcf;
    ngx_http_trinity_main_conf_t  *tmcf;

    tmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_trinity_module);
    if (tmcf == NULL || (tmcf->locations.nelts == 0 && tmcf->seccomp.len == 0)) {
        return NGX_OK;
    }

    if (tmcf->isolation != TRINITY_ISOLATION_NONE) {
        if (trinity_mpk_available(&reason)) {
            error = NULL;
            if (trinity_mpk_init(&error) != TRINITY_OK) {
                ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                              "trinity: cannot set up MPK isolation: %s",
                              trinity_error_message(error));
                trinity_error_delete(error);
                return NGX_ERROR;
            }

        } else {
            /* trinity_isolation mpk refused this at configuration time */
            ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                          "trinity: %s; running plugins without MPK isolation", reason);
        }
    }

    /* One warm instance per location before any seccomp policy: the first request
     * then finds it ready, and an isolated one has its protection key already. */
    locations = tmcf->locations.elts;
    for (i = 0; i < tmcf->locations.nelts; i++) {
        tlcf = locations[i];
        tlcf->isolation = tmcf->isolation;
        tlcf->nidle = 0;
        tlcf->idle = ngx_alloc(tlcf->pool_size * sizeof(trinity_instance_t *),
                               cycle->log);
        if (tlcf->idle == NULL) {
            return NGX_ERROR;
        }

        instance = ngx_http_trinity_acquire(cycle->log, tlcf);
        if (instance == NULL) {
            return NGX_ERROR;
        }

        ngx_http_trinity_release(tlcf, instance);
    }

    if (tmcf->seccomp.len) {
        error = NULL;
        if (trinity_seccomp_install((const char *) tmcf->seccomp.data, &error)
            != TRINITY_OK)
        {
            ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                          "trinity: cannot install seccomp policy \"%V\": %s",
                          &tmcf->seccomp, trinity_error_message(error));
            trinity_error_delete(error);
            return NGX_ERROR;
        }

        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "trinity: worker runs under seccomp policy \"%V\"", &tmcf->seccomp);
    }

    return NGX_OK;
}


static void
ngx_http_trinity_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                     i;
    ngx_http_trinity_loc_conf_t  **locations, *tlcf;
    ngx_http_trinity_main_conf_t  *tmcf;

    tmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_trinity_module);
    if (tmcf == NULL) {
        return;
    }

    locations = tmcf->locations.elts;
    for (i = 0; i < tmcf->locations.nelts; i++) {
        tlcf = locations[i];

        while (tlcf->nidle > 0) {
            trinity_instance_delete(tlcf->idle[--tlcf->nidle]);
        }

        if (tlcf->idle != NULL) {
            ngx_free(tlcf->idle);
            tlcf->idle = NULL;
        }
    }
}


/* ---- host functions offered to plugins ------------------------------------------- */

/* param(name): the location's `trinity_param name value;`, or nil. */
static trinity_value_t *
ngx_http_trinity_host_param(void *data, trinity_call_t *call)
{
    size_t                        len;
    ngx_uint_t                    i;
    const char                   *name;
    ngx_keyval_t                 *kv;
    ngx_http_trinity_loc_conf_t  *tlcf = data;

    if (trinity_call_arg_string(call, 0, &name, &len) != TRINITY_OK) {
        trinity_call_fail(call, "param(name) needs a string");
        return NULL;
    }

    if (tlcf->params == NULL) {
        return NULL;
    }

    kv = tlcf->params->elts;
    for (i = 0; i < tlcf->params->nelts; i++) {
        if (kv[i].key.len == len && ngx_strncmp(kv[i].key.data, name, len) == 0) {
            return trinity_value_string((const char *) kv[i].value.data,
                                        kv[i].value.len);
        }
    }

    return NULL;
}


/* log(msg): one line in the error log at level notice, naming the plugin. */
static trinity_value_t *
ngx_http_trinity_host_log(void *data, trinity_call_t *call)
{
    size_t                        len;
    ngx_log_t                    *log;
    const char                   *msg;
    ngx_http_trinity_loc_conf_t  *tlcf = data;

    if (trinity_call_arg_string(call, 0, &msg, &len) != TRINITY_OK) {
        trinity_call_fail(call, "log(msg) needs a string");
        return NULL;
    }

    log = ngx_http_trinity_current ? ngx_http_trinity_current->connection->log
                                   : ngx_cycle->log;

    ngx_log_error(NGX_LOG_NOTICE, log, 0, "trinity: plugin \"%V\": %*s",
                  &tlcf->path, len, msg);

    return NULL;
}


/* ---- configuration ----------------------------------------------------------------- */

static void *
ngx_http_trinity_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_trinity_main_conf_t  *tmcf;

    tmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_trinity_main_conf_t));
    if (tmcf == NULL) {
        return NULL;
    }

    tmcf->isolation = TRINITY_ISOLATION_DEFAULT;

    if (ngx_array_init(&tmcf->locations, cf->pool, 4,
                       sizeof(ngx_http_trinity_loc_conf_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return tmcf;
}


static void *
ngx_http_trinity_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_trinity_loc_conf_t  *tlcf;

    tlcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_trinity_loc_conf_t));
    if (tlcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     tlcf->path = { 0, NULL };
     *     tlcf->module = NULL;
     *     tlcf->host = NULL;
     *     tlcf->idle = NULL;
     */

    tlcf->params = NGX_CONF_UNSET_PTR;
    tlcf->fuel = NGX_CONF_UNSET_UINT;
    tlcf->heap = NGX_CONF_UNSET_SIZE;
    tlcf->timeout = NGX_CONF_UNSET_MSEC;
    tlcf->depth = NGX_CONF_UNSET_UINT;
    tlcf->trap_status = NGX_CONF_UNSET_UINT;
    tlcf->max_body = NGX_CONF_UNSET_SIZE;
    tlcf->pool_size = NGX_CONF_UNSET_UINT;

    return tlcf;
}


static char *
ngx_http_trinity_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_trinity_loc_conf_t *prev = parent;
    ngx_http_trinity_loc_conf_t *conf = child;

    ngx_conf_merge_ptr_value(conf->params, prev->params, NULL);
    ngx_conf_merge_uint_value(conf->fuel, prev->fuel, 10000000);
    ngx_conf_merge_size_value(conf->heap, prev->heap, 16 * 1024 * 1024);
    ngx_conf_merge_msec_value(conf->timeout, prev->timeout, 1000);
    ngx_conf_merge_uint_value(conf->depth, prev->depth, 200);
    ngx_conf_merge_uint_value(conf->trap_status, prev->trap_status,
                              NGX_HTTP_INTERNAL_SERVER_ERROR);
    ngx_conf_merge_size_value(conf->max_body, prev->max_body, 64 * 1024);
    ngx_conf_merge_uint_value(conf->pool_size, prev->pool_size, 4);

    if (conf->pool_size == 0) {
        conf->pool_size = 1;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_trinity_read_file(ngx_conf_t *cf, ngx_str_t *path, ngx_str_t *out)
{
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_file_info_t  fi;

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", path);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > 64 * 1024 * 1024)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "trinity: \"%V\" cannot be read or is over 64 MiB", path);
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    out->len = (size_t) ngx_file_size(&fi);
    out->data = ngx_pnalloc(cf->temp_pool, out->len + 1);
    if (out->data == NULL) {
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    n = ngx_read_fd(fd, out->data, out->len);
    ngx_close_file(fd);

    if (n < 0 || (size_t) n != out->len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "trinity: short read of \"%V\"", path);
        return NGX_ERROR;
    }

    out->data[out->len] = '\0';

    return NGX_OK;
}


static void
ngx_http_trinity_cleanup_module(void *data)
{
    ngx_http_trinity_loc_conf_t  *tlcf = data;

    trinity_module_delete(tlcf->module);
    trinity_host_delete(tlcf->host);
    tlcf->module = NULL;
    tlcf->host = NULL;
}


/* content_by_trinity_file PATH: compiles (.tri) or loads (.tbc) and verifies the plugin
 * now, so a bad plugin fails `nginx -t` with its file:line:col message. */
static char *
ngx_http_trinity_content_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trinity_loc_conf_t *tlcf = conf;

    size_t                         len;
    uint32_t                       arity;
    ngx_str_t                     *value, path, source;
    trinity_error_t               *error;
    trinity_status_t               status;
    ngx_pool_cleanup_t            *cln;
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_trinity_loc_conf_t  **slot;
    ngx_http_trinity_main_conf_t  *tmcf;

    if (tlcf->module != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_trinity_read_file(cf, &path, &source) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    error = NULL;
    len = path.len;

    if (len > 4 && ngx_strcmp(path.data + len - 4, ".tbc") == 0) {
        status = trinity_module_load(source.data, source.len, &tlcf->module, &error);

    } else {
        status = trinity_module_compile((const char *) source.data, source.len,
                                        (const char *) path.data, &tlcf->module, &error);
    }

    if (status != TRINITY_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "trinity: plugin \"%V\" rejected "
                           "(%s):\n%s", &path, trinity_status_name(status),
                           trinity_error_message(error));
        trinity_error_delete(error);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        trinity_module_delete(tlcf->module);
        tlcf->module = NULL;
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_trinity_cleanup_module;
    cln->data = tlcf;

    if (!trinity_module_has_export(tlcf->module, "handle", &arity) || arity != 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "trinity: plugin \"%V\" must "
                           "export fn handle(req)", &path);
        return NGX_CONF_ERROR;
    }

    /* Host functions are bound to this location (param) and linked now, so a plugin
     * importing anything else fails here rather than at its first request. */
    tlcf->host = trinity_host_new();
    if (tlcf->host == NULL
        || trinity_host_register(tlcf->host, "param", 1,
                                 ngx_http_trinity_host_param, tlcf) != TRINITY_OK
        || trinity_host_register(tlcf->host, "log", 1,
                                 ngx_http_trinity_host_log, tlcf) != TRINITY_OK)
    {
        return NGX_CONF_ERROR;
    }

    {
        trinity_instance_t  *probe = NULL;

        if (trinity_instance_new(tlcf->module, tlcf->host, NULL, &probe, &error)
            != TRINITY_OK)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "trinity: plugin \"%V\": %s "
                               "(nginx offers param(name) and log(msg))", &path,
                               trinity_error_message(error));
            trinity_error_delete(error);
            return NGX_CONF_ERROR;
        }

        trinity_instance_delete(probe);
    }

    tlcf->path = path;

    tmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_trinity_module);
    slot = ngx_array_push(&tmcf->locations);
    if (slot == NULL) {
        return NGX_CONF_ERROR;
    }

    *slot = tlcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_trinity_handler;

    return NGX_CONF_OK;
}


/* trinity_limits fuel=N heap=SIZE timeout=MS depth=N: any subset, any order. A bare
 * timeout number is milliseconds; "2s" and other nginx time units work too. */
static char *
ngx_http_trinity_limits(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trinity_loc_conf_t *tlcf = conf;

    ngx_int_t    n;
    ngx_str_t   *value, v;
    ngx_uint_t   i;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "fuel=", 5) == 0) {
            v.data = value[i].data + 5;
            v.len = value[i].len - 5;
            n = ngx_atoi(v.data, v.len);
            if (n == NGX_ERROR) {
                goto invalid;
            }

            tlcf->fuel = (ngx_uint_t) n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "heap=", 5) == 0) {
            v.data = value[i].data + 5;
            v.len = value[i].len - 5;
            n = ngx_parse_size(&v);
            if (n == NGX_ERROR || n < 4096) {
                goto invalid;
            }

            tlcf->heap = (size_t) n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {
            v.data = value[i].data + 8;
            v.len = value[i].len - 8;
            n = ngx_atoi(v.data, v.len);
            if (n == NGX_ERROR) {
                n = ngx_parse_time(&v, 0);
            }

            if (n == NGX_ERROR) {
                goto invalid;
            }

            tlcf->timeout = (ngx_msec_t) n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "depth=", 6) == 0) {
            v.data = value[i].data + 6;
            v.len = value[i].len - 6;
            n = ngx_atoi(v.data, v.len);
            if (n == NGX_ERROR || n < 1 || n > 100000) {
                goto invalid;
            }

            tlcf->depth = (ngx_uint_t) n;
            continue;
        }

        goto invalid;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\" (expected "
                       "fuel=N, heap=SIZE (>= 4k), timeout=MS or depth=N)", &value[i]);

    return NGX_CONF_ERROR;
}


/* trinity_param NAME VALUE: what the plugin's param(NAME) returns. */
static char *
ngx_http_trinity_param(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trinity_loc_conf_t *tlcf = conf;

    ngx_str_t     *value;
    ngx_keyval_t  *kv;

    if (tlcf->params == NGX_CONF_UNSET_PTR) {
        tlcf->params = ngx_array_create(cf->pool, 4, sizeof(ngx_keyval_t));
        if (tlcf->params == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    kv = ngx_array_push(tlcf->params);
    if (kv == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;
    kv->key = value[1];
    kv->value = value[2];

    return NGX_CONF_OK;
}


/* trinity_isolation auto | mpk | none: as `trinity run --isolate`; mpk insists. */
static char *
ngx_http_trinity_isolation(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trinity_main_conf_t *tmcf = conf;

    ngx_str_t   *value;
    const char  *reason;

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "auto") == 0) {
        tmcf->isolation = TRINITY_ISOLATION_DEFAULT;

    } else if (ngx_strcmp(value[1].data, "none") == 0) {
        tmcf->isolation = TRINITY_ISOLATION_NONE;

    } else if (ngx_strcmp(value[1].data, "mpk") == 0) {
        if (!trinity_mpk_available(&reason)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "trinity_isolation mpk: %s", reason);
            return NGX_CONF_ERROR;
        }

        tmcf->isolation = TRINITY_ISOLATION_MPK;

    } else {
        return "must be auto, mpk or none";
    }

    return NGX_CONF_OK;
}


/* trinity_seccomp POLICY | off: a named policy installed in every worker after start-up
 * (nginx-worker is the one made for it; `trinity policy show nginx-worker`). */
static char *
ngx_http_trinity_seccomp(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_trinity_main_conf_t *tmcf = conf;

    ngx_str_t        *value;
    trinity_error_t  *error;

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        ngx_str_null(&tmcf->seccomp);
        return NGX_CONF_OK;
    }

    error = NULL;
    if (trinity_seccomp_check((const char *) value[1].data, &error) != TRINITY_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "trinity_seccomp: %s",
                           trinity_error_message(error));
        trinity_error_delete(error);
        return NGX_CONF_ERROR;
    }

    /* strings from the configuration parser are NUL-terminated */
    tmcf->seccomp = value[1];

    return NGX_CONF_OK;
}
