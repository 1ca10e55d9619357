/*
 * RFC 8291 §3.1-3.4 with RFC 8188 §2.2-2.3, sender side, for a batch of subscribers: for each
 * one, a new P-256 key pair, the ECDH secret with the subscriber's public key, and the aes128gcm
 * content-encryption key and nonce that secret, the subscriber's auth secret and the message's
 * salt give. What is left to the caller is one AES-128-GCM seal.
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
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <stdlib.h>
#include <string.h>

/* One input: the peer's key (65), its auth secret (16), the message's salt (16). */
#define PEER_LENGTH 65
#define INPUT_LENGTH 97
/* One record: status (1), the new public key (65), the ECDH secret (32), CEK (16), NONCE (12). */
#define RECORD_LENGTH 126
#define PUBLIC_AT 1
#define SECRET_AT 66
#define CEK_AT 98
#define NONCE_AT 114
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

static int hmac_sha256(const unsigned char *key, size_t key_length, const unsigned char *data,
                       size_t data_length, unsigned char out[32]) {
  unsigned int length = 0;
  return HMAC(EVP_sha256(), key, (int)key_length, data, data_length, out, &length) != NULL && length == 32;
}

/* RFC 8291 §3.4 and RFC 8188 §2.2-2.3, each HKDF-Expand being one HMAC block (RFC 5869 §2.3):
 *   PRK_key = HMAC(auth, ecdh_secret); IKM = HMAC(PRK_key, "WebPush: info" 0 ua as 1)
 *   PRK = HMAC(salt, IKM); CEK = HMAC(PRK, "Content-Encoding: aes128gcm" 0 1)[0..16]
 *   NONCE = HMAC(PRK, "Content-Encoding: nonce" 0 1)[0..12] */
static int key_schedule(const unsigned char *ua_public, const unsigned char *auth, const unsigned char *salt,
                        const unsigned char *as_public, const unsigned char *secret, unsigned char *cek,
                        unsigned char *nonce) {
  static const char key_label[] = "WebPush: info";
  static const char cek_label[] = "Content-Encoding: aes128gcm";
  static const char nonce_label[] = "Content-Encoding: nonce";
  unsigned char info[sizeof key_label + 2 * PEER_LENGTH + 1];
  unsigned char prk[32], block[32];
  /* The labels' terminating NUL is the 0x00 octet the RFCs put after them. */
  memcpy(info, key_label, sizeof key_label);
  memcpy(info + sizeof key_label, ua_public, PEER_LENGTH);
  memcpy(info + sizeof key_label + PEER_LENGTH, as_public, PEER_LENGTH);
  info[sizeof info - 1] = 1;
  if (!hmac_sha256(auth, 16, secret, 32, prk) || !hmac_sha256(prk, 32, info, sizeof info, block) ||
      !hmac_sha256(salt, 16, block, 32, prk))
    return 0;
  memcpy(info, cek_label, sizeof cek_label);
  info[sizeof cek_label] = 1;
  if (!hmac_sha256(prk, 32, info, sizeof cek_label + 1, block)) return 0;
  memcpy(cek, block, 16);
  memcpy(info, nonce_label, sizeof nonce_label);
  info[sizeof nonce_label] = 1;
  if (!hmac_sha256(prk, 32, info, sizeof nonce_label + 1, block)) return 0;
  memcpy(nonce, block, 12);
  return 1;
}

static void derive_one(State *state, const unsigned char *input, unsigned char *record) {
  const EC_GROUP *group = EC_KEY_get0_group(state->key);
  record[0] = STATUS_FAILED;
  if (EC_POINT_oct2point(group, state->peer, input, PEER_LENGTH, state->ctx) != 1) {
    record[0] = STATUS_BAD_POINT;
    return;
  }
  if (EC_KEY_generate_key(state->key) != 1) return;
  if (EC_POINT_point2oct(group, EC_KEY_get0_public_key(state->key), POINT_CONVERSION_UNCOMPRESSED,
                         record + PUBLIC_AT, PEER_LENGTH, state->ctx) != PEER_LENGTH)
    return;
  /* The secret is the X coordinate of d*Q, left-padded to 32 bytes. */
  if (ECDH_compute_key(record + SECRET_AT, 32, state->peer, state->key, NULL) != 32) return;
  if (!key_schedule(input, input + PEER_LENGTH, input + PEER_LENGTH + 16, record + PUBLIC_AT,
                    record + SECRET_AT, record + CEK_AT, record + NONCE_AT))
    return;
  record[0] = STATUS_DONE;
}

/* derive(inputs: Uint8Array, records: Uint8Array): void. inputs holds N 97-byte inputs back to
 * back, records N * 126 bytes; a record's status says whether its peer was a point on P-256. */
static napi_value derive(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  State *state;
  unsigned char *inputs, *records;
  size_t inputs_length, records_length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (napi_get_instance_data(env, (void **)&state) != napi_ok || state == NULL)
    return throw_error(env, "ERR_NATIVE_STATE", "the addon's state is missing");
  if (argc != 2 || !byte_array(env, argv[0], &inputs, &inputs_length) ||
      !byte_array(env, argv[1], &records, &records_length))
    return throw_error(env, "ERR_INVALID_ARG_TYPE", "derive(inputs, records) takes two Uint8Arrays");
  if (inputs_length % INPUT_LENGTH != 0 || records_length != inputs_length / INPUT_LENGTH * RECORD_LENGTH)
    return throw_error(env, "ERR_INVALID_ARG_VALUE",
                       "inputs must hold 97-byte entries and records 126 bytes for each of them");
  for (size_t i = 0; i < inputs_length / INPUT_LENGTH; i++)
    derive_one(state, inputs + i * INPUT_LENGTH, records + i * RECORD_LENGTH);
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
  if (napi_create_function(env, "derive", NAPI_AUTO_LENGTH, derive, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "derive", fn) != napi_ok) return NULL;
  return exports;
}
