/* ctgan_net.c -- the CTGAN networks (skeleton; the implementation lands in the next commits). */
#include "nn/ctgan_net.h"

void synth_ctgan_config_defaults(synth_ctgan_config *cfg)
{
    *cfg = (synth_ctgan_config){0};
    cfg->embedding_dim = 128;
    cfg->gen_dims[0] = cfg->gen_dims[1] = 256;
    cfg->ngen = 2;
    cfg->dis_dims[0] = cfg->dis_dims[1] = 256;
    cfg->ndis = 2;
    cfg->pac = 10;
    cfg->lr_g = cfg->lr_d = 2e-4f;
    cfg->beta1 = 0.5f;
    cfg->beta2 = 0.9f;
    cfg->weight_decay_g = cfg->weight_decay_d = 1e-6f;
    cfg->gp_lambda = 10.0f;
    cfg->tau = 0.2f;
    cfg->discriminator_steps = 1;
}

int synth_ctgan_net_new(synth_nn_backend *b, const synth_ctgan_config *cfg, uint64_t seed,
                        synth_ctgan_net **out, synth_err *err)
{
    (void)b; (void)cfg; (void)seed;
    *out = NULL;
    return synth_err_set(err, SYNTH_INTERNAL, "ctgan net: not implemented yet");
}
void synth_ctgan_net_free(synth_ctgan_net *net) { (void)net; }
const synth_ctgan_config *synth_ctgan_net_config(const synth_ctgan_net *net) { (void)net; return NULL; }
uint64_t synth_ctgan_net_steps(const synth_ctgan_net *net) { (void)net; return 0; }
int synth_ctgan_net_train_step(synth_ctgan_net *net, int batch, const synth_ctgan_dbatch *d, int nd,
                               const synth_ctgan_gbatch *g, float *loss_d, float *loss_g, synth_err *err)
{
    (void)net; (void)batch; (void)d; (void)nd; (void)g; (void)loss_d; (void)loss_g;
    return synth_err_set(err, SYNTH_INTERNAL, "ctgan net: not implemented yet");
}
int synth_ctgan_net_generate(const synth_ctgan_net *net, int n, const float *noise, const float *cond,
                             float *out, synth_err *err)
{
    (void)net; (void)n; (void)noise; (void)cond; (void)out;
    return synth_err_set(err, SYNTH_INTERNAL, "ctgan net: not implemented yet");
}
int synth_ctgan_net_save(const synth_ctgan_net *net, unsigned char **blob, size_t *len, synth_err *err)
{
    (void)net; *blob = NULL; *len = 0;
    return synth_err_set(err, SYNTH_INTERNAL, "ctgan net: not implemented yet");
}
int synth_ctgan_net_load(synth_nn_backend *b, const synth_ctgan_config *cfg, const unsigned char *blob,
                         size_t len, synth_ctgan_net **out, synth_err *err)
{
    (void)b; (void)cfg; (void)blob; (void)len;
    *out = NULL;
    return synth_err_set(err, SYNTH_INTERNAL, "ctgan net: not implemented yet");
}
