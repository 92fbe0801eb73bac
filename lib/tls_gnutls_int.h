/* SPDX-License-Identifier: MIT */
/* The libgnutls functions tls.c loads with dlopen (its table G): the whole
 * of what the library uses of GnuTLS, kept apart from the code that calls
 * them.  Included by tls.c only, after the GnuTLS headers. */
#ifndef AEH_TLS_GNUTLS_INT_H
#define AEH_TLS_GNUTLS_INT_H

#define GNUTLS_FUNCS(X) \
    X(gnutls_strerror) X(gnutls_error_is_fatal) X(gnutls_alert_get) X(gnutls_alert_get_name) \
    X(gnutls_alert_send_appropriate) \
    X(gnutls_rnd) \
    X(gnutls_check_version) \
    X(gnutls_certificate_allocate_credentials) X(gnutls_certificate_free_credentials) \
    X(gnutls_certificate_set_x509_system_trust) X(gnutls_certificate_set_x509_trust_file) \
    X(gnutls_certificate_set_x509_key_file2) X(gnutls_certificate_set_x509_key) \
    X(gnutls_certificate_set_verify_function) X(gnutls_certificate_get_peers) \
    X(gnutls_certificate_verify_peers) X(gnutls_certificate_server_set_request) \
    X(gnutls_certificate_get_crt_raw) \
    X(gnutls_priority_init) X(gnutls_priority_init2) X(gnutls_priority_deinit) X(gnutls_priority_set) \
    X(gnutls_init) X(gnutls_deinit) X(gnutls_credentials_set) X(gnutls_server_name_set) \
    X(gnutls_server_name_get) X(gnutls_alpn_set_protocols) X(gnutls_alpn_get_selected_protocol) \
    X(gnutls_transport_set_ptr) X(gnutls_transport_set_push_function) \
    X(gnutls_transport_set_pull_function) X(gnutls_transport_set_pull_timeout_function) \
    X(gnutls_transport_set_errno) X(gnutls_handshake) X(gnutls_handshake_set_timeout) \
    X(gnutls_record_recv) X(gnutls_record_send) X(gnutls_bye) \
    X(gnutls_session_set_ptr) X(gnutls_session_get_ptr) X(gnutls_protocol_get_version) \
    X(gnutls_protocol_get_name) X(gnutls_ciphersuite_get) \
    X(gnutls_x509_crt_init) X(gnutls_x509_crt_deinit) X(gnutls_x509_crt_import) \
    X(gnutls_x509_crt_get_dn) X(gnutls_x509_crt_get_issuer_dn) X(gnutls_x509_crt_get_dn_by_oid) \
    X(gnutls_x509_crt_get_activation_time) X(gnutls_x509_crt_get_expiration_time) \
    X(gnutls_x509_crt_get_key_id) X(gnutls_x509_crt_get_subject_alt_name) \
    X(gnutls_x509_privkey_init) X(gnutls_x509_privkey_deinit) X(gnutls_x509_privkey_generate) \
    X(gnutls_x509_crt_set_version) X(gnutls_x509_crt_set_serial) \
    X(gnutls_x509_crt_set_activation_time) X(gnutls_x509_crt_set_expiration_time) \
    X(gnutls_x509_crt_set_dn_by_oid) X(gnutls_x509_crt_set_subject_alt_name) \
    X(gnutls_x509_crt_set_key) X(gnutls_x509_crt_set_key_usage) \
    X(gnutls_x509_crt_set_basic_constraints) X(gnutls_x509_crt_sign2)

#endif
