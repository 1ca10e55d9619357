/*
 * RFC 8291 §3.1, sender side, for a batch of subscribers: for each one, a new P-256 key pair and
 * the ECDH secret with the subscriber's public key.
 *
 * This is what node:crypto's ECDH object does (EC_KEY_generate_key, then ECDH_compute_key) with
 * one step left out: `ecdh.computeSecret()` re-validates the object's own key pair on every call
 * (EC_KEY_check_key: an order multiplication n*Q and d*G == Q), which costs as much as the
 * agreement itself. A key pair OpenSSL has just generated needs no such check. The subscriber's
 * key still gets the one that matters: EC_POINT_oct2point refuses coordinates outside the field
 * and points off the curve, and P-256's cofactor is 1, so every point on it is in the group.
 *
 * The library calls are the ones Node's own binding uses, from the OpenSSL that Node links and
 * exports, so the secret is bit for bit the same as `createECDH('prime256v1').computeSecret()`.
 */
#define NAPI_VERSION 8
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/ec.h>
#include <openssl/ecdh.h>
#include <openssl/obj_mac.h>
#include <stdlib.h>

/* Bytes of a peer key in the input and of one record in the output. */
#define PEER_LENGTH 65
#define RECORD_LENGTH 98
#define STATUS_DONE 0
#define STATUS_BAD_POINT 1
#define STATUS_FAILED 2

/* One per Node environment (the main thread and each worker thread load the addon anew). */
typedef struct {
  EC_KEY *key;
  EC_POINT *peer;
  BN_CTX *ctx;
} State;

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  State *state = data;
  EC_POINT_free(state->peer);
  EC_KEY_free(state->key);
  BN_CTX_free(state->ctx);
  free(state);
}

static napi_value throw_error(napi_env env, const char *code, const char *message) {
  napi_throw_error(env, code, message);
  return NULL;
}

static int byte_array(napi_env env, napi_value value, unsigned char **data, size_t *length) {
  napi_typedarray_type type;
  size_t count;
  void *base;
  napi_value buffer;
  size_t offset;
  bool is_typed;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  if (napi_get_typedarray_info(env, value, &type, &count, &base, &buffer, &offset) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = base;
  *length = count;
  return 1;
}

/* One record: status byte, the new public key (65 bytes), the shared secret (32 bytes). */
static void agree_one(State *state, const unsigned char *peer, unsigned char *record) {
  const EC_GROUP *group = EC_KEY_get0_group(state->key);
  record[0] = STATUS_FAILED;
  if (EC_POINT_oct2point(group, state->peer, peer, PEER_LENGTH, state->ctx) != 1) {
    record[0] = STATUS_BAD_POINT;
    return;
  }
  if (EC_KEY_generate_key(state->key) != 1) return;
  if (EC_POINT_point2oct(group, EC_KEY_get0_public_key(state->key), POINT_CONVERSION_UNCOMPRESSED,
                         record + 1, PEER_LENGTH, state->ctx) != PEER_LENGTH)
    return;
  /* The secret is the X coordinate of d*Q, left-padded to 32 bytes. */
  if (ECDH_compute_key(record + 66, 32, state->peer, state->key, NULL) != 32) return;
  record[0] = STATUS_DONE;
}

/* agree(peers: Uint8Array, records: Uint8Array): void. peers holds N 65-byte points back to
 * back, records N * 98 bytes; a record's status says whether its peer was a point on P-256. */
static napi_value agree(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  State *state;
  unsigned char *peers, *records;
  size_t peers_length, records_length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (napi_get_instance_data(env, (void **)&state) != napi_ok || state == NULL)
    return throw_error(env, "ERR_NATIVE_STATE", "the addon's state is missing");
  if (argc != 2 || !byte_array(env, argv[0], &peers, &peers_length) ||
      !byte_array(env, argv[1], &records, &records_length))
    return throw_error(env, "ERR_INVALID_ARG_TYPE", "agree(peers, records) takes two Uint8Arrays");
  if (peers_length % PEER_LENGTH != 0 || records_length != peers_length / PEER_LENGTH * RECORD_LENGTH)
    return throw_error(env, "ERR_INVALID_ARG_VALUE",
                       "peers must hold 65-byte keys and records 98 bytes for each of them");
  for (size_t i = 0; i < peers_length / PEER_LENGTH; i++)
    agree_one(state, peers + i * PEER_LENGTH, records + i * RECORD_LENGTH);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  State *state = calloc(1, sizeof(State));
  if (state == NULL) return throw_error(env, "ERR_NATIVE_STATE", "out of memory");
  state->key = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
  state->ctx = BN_CTX_new();
  state->peer = state->key == NULL ? NULL : EC_POINT_new(EC_KEY_get0_group(state->key));
  if (state->key == NULL || state->ctx == NULL || state->peer == NULL) {
    free_state(env, state, NULL);
    return throw_error(env, "ERR_NATIVE_STATE", "OpenSSL could not set up P-256");
  }
  if (napi_set_instance_data(env, state, free_state, NULL) != napi_ok) {
    free_state(env, state, NULL);
    return NULL;
  }
  napi_value fn;
  if (napi_create_function(env, "agree", NAPI_AUTO_LENGTH, agree, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "agree", fn) != napi_ok) return NULL;
  return exports;
}
