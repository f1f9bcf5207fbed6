"""The compiled loops of :mod:`neuroxide.models.learning` (numba, cached on disk).

``fixed_loop`` is ``PlasticModel``'s step, sample after sample, integer for integer (the proof:
tests/test_learning.py); ``float_loop`` the same network in float. Kept in their own module so that
importing ``neuroxide.models.learning`` does not import numba, and at module level so that numba's
disk cache holds them (a function defined inside another is compiled again in every process).
"""

import numba
import numpy as np

__all__ = ["fixed_loop", "float_loop"]


@numba.njit(cache=True)
def xs(x):
    # xorshift32 (models.prng), on an int64 holding 32 bits
    x ^= (x << 13) & 0xFFFFFFFF
    x ^= x >> 17
    return x ^ ((x << 5) & 0xFFFFFFFF)


@numba.njit(cache=True)
def leaky(x, spike, decay, inc, bits, decay_bits, nearest):
    d = (x * decay) >> decay_bits
    if nearest:
        return inc if spike else d
    y = d + (inc if spike else 0)
    top = (1 << bits) - 1
    return 0 if y < 0 else (top if y > top else y)


@numba.njit(cache=True)
def encoder_seed(z0, enc):
    # the encoder's channel words of a sample: a murmur3 finaliser of (sample seed, channel), never 0
    for i in range(enc.shape[0]):
        z = (z0 * 0x85EBCA77 + i * 0x27D4EB2F + 1) & 0xFFFFFFFF
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & 0xFFFFFFFF
        z = z ^ (z >> 16)
        enc[i] = z if z != 0 else 0x6D2B79F5


@numba.njit(cache=True)
def encoder_step(enc, p_row, pre, active):
    # one step of the rate encoder: every channel word advances; channel i spikes when its top byte is
    # below p_row[i]; the spiking channels are listed in active[:n_act]; returns n_act
    n_act = 0
    for i in range(enc.shape[0]):
        enc[i] = xs(enc[i])
        pre[i] = (enc[i] >> 24) < p_row[i]
        if pre[i]:
            active[n_act] = i
            n_act += 1
    return n_act


@numba.njit(cache=True)
def drive(net, w, active, n_act, w_zero, spike):
    # the crossbar's column sums over this step's active rows, less the zero level of each; returns
    # how many neurons spiked last step (the lateral inhibition's count)
    k_prev = 0
    for j in range(net.shape[0]):
        net[j] = -n_act * w_zero
        if spike[j]:
            k_prev += 1
    for a in range(n_act):
        i = active[a]
        for j in range(net.shape[0]):
            net[j] += w[i, j]
    return k_prev


@numba.njit(cache=True)
def fixed_loop(P, up_t, down_t, gain, w, v, ref, adapt, rng, spike, post_trace, ca, rng_col, pre_trace,
               rng_row, p_in, seeds, teacher, steps, learn, adapt_fixed, counts):
    n_in, n_out = P[0], P[1]
    (w_max, w_zero, w_shift, lateral, t_drive, t_inh, in_max, homeo, v_lo, v_hi, decay, decay_bits, bias,
     v_th, v_reset, subtract, t_ref, adapt_inc, adapt_shift, adapt_max, noise_bits, v_init) = (
        P[2], P[3], P[4], P[5], P[6], P[7], P[8], P[9], P[10], P[11], P[12], P[13], P[14], P[15], P[16],
        P[17], P[18], P[19], P[20], P[21], P[22], P[23])
    (rule, frac, stoch, trace_bits, pdb, trace_decay, trace_inc, nearest, a_plus, a_minus, a_post, ca_bits,
     ca_decay, ca_inc, theta_m, theta_l, theta_h_up, theta_h_down, sdsp_up, sdsp_down, f_mode, g_shift,
     has_gain, wta) = (P[24], P[25], P[26], P[27], P[28], P[29], P[30], P[31], P[32], P[33], P[34], P[35],
                       P[36], P[37], P[38], P[39], P[40], P[41], P[42], P[43], P[44], P[45], P[46], P[47])
    fmask = (1 << frac) - 1
    enc = np.empty(n_in, np.int64)
    pre = np.zeros(n_in, np.bool_)
    active = np.empty(n_in, np.int64)
    post = np.zeros(n_out, np.bool_)
    v_old = np.empty(n_out, np.int64)
    ca_old = np.empty(n_out, np.int64)
    pt_old = np.empty(n_in, np.int64)
    qt_old = np.empty(n_out, np.int64)
    net = np.empty(n_out, np.int64)
    crossed = np.zeros(n_out, np.bool_)
    margin = np.empty(n_out, np.int64)
    v_int_a = np.empty(n_out, np.int64)
    a_dec_a = np.empty(n_out, np.int64)
    for s in range(p_in.shape[0]):
        # rest(): everything but the PRNG words (and adapt with homeostasis) to power-up
        for j in range(n_out):
            v[j] = v_init
            ref[j] = 0
            if not homeo:
                adapt[j] = 0
            spike[j] = False
            post_trace[j] = 0
            ca[j] = 0
        for i in range(n_in):
            pre_trace[i] = 0
        if adapt_fixed.shape[0] == n_out:
            for j in range(n_out):
                adapt[j] = adapt_fixed[j]
        # the encoder's channel words of this sample
        encoder_seed(seeds[s], enc)
        label = teacher[s]
        for t in range(steps):
            n_act = encoder_step(enc, p_in[s], pre, active)
            # 1. drive
            k_prev = drive(net, w, active, n_act, w_zero, spike)
            any_post = False
            for j in range(n_out):
                netg = net[j] * (1 << w_shift)
                exc = netg if netg > 0 else 0
                inh = -netg if netg < 0 else 0
                inh += lateral * (k_prev - (1 if spike[j] else 0))
                if label >= 0:
                    if j == label:
                        exc += t_drive
                    else:
                        inh += t_inh
                exc = 0 if exc < 0 else (in_max if exc > in_max else exc)
                inh = 0 if inh < 0 else (in_max if inh > in_max else inh)
                # 2. lif_step (the spike decided below: with wta, one winner per step)
                v_old[j] = v[j]
                ca_old[j] = ca[j]
                rng_n = xs(rng[j])
                a_dec = adapt[j] - (adapt[j] >> adapt_shift)
                v_leak = (v[j] * decay) >> decay_bits
                v_int = v_leak + bias + exc - inh
                v_int = v_lo if v_int < v_lo else (v_hi if v_int > v_hi else v_int)
                theta = v_th + a_dec
                if noise_bits:
                    theta = theta + (rng_n >> (32 - noise_bits)) - (1 << (noise_bits - 1))
                crossed[j] = ref[j] == 0 and v_int >= theta
                margin[j] = v_int - theta
                v_int_a[j] = v_int
                a_dec_a[j] = a_dec
                rng[j] = rng_n
            winner = -1
            if wta:
                for j in range(n_out):
                    if crossed[j] and (winner < 0 or margin[j] > margin[winner]):
                        winner = j
            for j in range(n_out):
                fire = crossed[j] and (winner == j or not wta)
                v_int = v_int_a[j]
                if subtract:
                    v_fire = v_int - v_th
                    v_fire = v_lo if v_fire < v_lo else (v_hi if v_fire > v_hi else v_fire)
                else:
                    v_fire = v_reset
                if ref[j] != 0:
                    ref[j] = ref[j] - 1
                elif fire:
                    v[j] = v_fire
                    ref[j] = t_ref
                else:
                    v[j] = v_int
                    ref[j] = 0
                ad = a_dec_a[j] + (adapt_inc if fire else 0)
                adapt[j] = 0 if ad < 0 else (adapt_max if ad > adapt_max else ad)
                post[j] = fire
                if fire:
                    any_post = True
            # 3. learning (PRNG words advance every step)
            for i in range(n_in):
                rng_row[i] = xs(rng_row[i])
            for j in range(n_out):
                rng_col[j] = xs(rng_col[j])
            if learn:
                for i in range(n_in):
                    pt_old[i] = pre_trace[i]
                for j in range(n_out):
                    qt_old[j] = post_trace[j]
                for j in range(n_out):
                    # a synapse changes only with a pre spike (depression, SDSP) or a post spike
                    # (STDP potentiation, a_post): the others' steps are 0 and their levels kept
                    if post[j] and rule != 2:
                        n_rows = n_in
                    elif rule == 2 or a_minus != 0:
                        n_rows = n_act
                    else:
                        continue
                    for a in range(n_rows):
                        i = a if n_rows == n_in and post[j] and rule != 2 else active[a]
                        wv = w[i, j]
                        if f_mode == 2:
                            f_up = up_t[wv]
                            f_down = down_t[wv]
                        elif f_mode == 1:
                            f_up = w_max - wv
                            f_down = wv
                        else:
                            f_up = 1
                            f_down = 1
                        m_up = 0
                        m_down = 0
                        if rule == 2:
                            if pre[i]:
                                window = ca_old[j] >= theta_l
                                high = v_old[j] >= theta_m
                                if high and window and ca_old[j] < theta_h_up:
                                    m_up = (sdsp_up * f_up) >> g_shift
                                if (not high) and window and ca_old[j] < theta_h_down:
                                    m_down = (sdsp_down * f_down) >> g_shift
                        else:
                            if post[j]:
                                m_up = (a_plus * pt_old[i] * f_up) >> (trace_bits + g_shift)
                            if pre[i]:
                                m_down = (a_minus * qt_old[j] * f_down) >> (trace_bits + g_shift)
                            if post[j] and a_post:
                                m_down += (a_post * f_down) >> g_shift
                        if has_gain:
                            m_up = (m_up * gain[j]) >> 8
                            m_down = (m_down * gain[j]) >> 8
                        if stoch and frac:
                            r = rng_row[i] ^ rng_col[j]
                            inc = (m_up + (r >> (32 - frac))) >> frac
                            dec = (m_down + (r & fmask)) >> frac
                        else:
                            inc = m_up >> frac
                            dec = m_down >> frac
                        wn = wv + inc - dec
                        w[i, j] = 0 if wn < 0 else (w_max if wn > w_max else wn)
            # 4. traces and calcium
            for i in range(n_in):
                pre_trace[i] = leaky(pre_trace[i], pre[i], trace_decay, trace_inc, trace_bits, pdb, nearest)
            for j in range(n_out):
                post_trace[j] = leaky(post_trace[j], post[j], trace_decay, trace_inc, trace_bits, pdb, nearest)
                ca[j] = leaky(ca[j], post[j], ca_decay, ca_inc, ca_bits, pdb, False)
                spike[j] = post[j]
                if post[j]:
                    counts[s, j] += 1
    return counts


@numba.njit(cache=True)
def float_loop(F, w, adapt, p_in, seeds, teacher, steps, learn, adapt_fixed, counts, gains, noise_seed, curve_up,
               curve_down):
    (w_max, w_zero, w_scale, lateral, t_drive, t_inh, in_max, homeo, v_lo, v_hi, leak, bias, v_th, v_reset,
     subtract, t_ref, adapt_inc, adapt_leak, rule, trace_decay, trace_inc, trace_max, nearest, a_plus, a_minus,
     a_post, ca_decay, ca_inc, ca_max, theta_m, theta_l, theta_h_up, theta_h_down, sdsp_up, sdsp_down, pulse,
     f_mode, c2c, wta) = (F[0], F[1], F[2], F[3], F[4], F[5], F[6], F[7], F[8], F[9], F[10], F[11],
                                    F[12], F[13], F[14], F[15], F[16], F[17], F[18], F[19], F[20], F[21], F[22],
                                    F[23], F[24], F[25], F[26], F[27], F[28], F[29], F[30], F[31], F[32], F[33],
                                    F[34], F[35], F[36], F[37], F[38])
    n_in, n_out = w.shape
    v_int_a = np.zeros(n_out)
    margin = np.zeros(n_out)
    n_curve = curve_up.shape[0]
    np.random.seed(noise_seed)
    enc = np.empty(n_in, np.int64)
    pre = np.zeros(n_in, np.bool_)
    active = np.empty(n_in, np.int64)
    post = np.zeros(n_out, np.bool_)
    spike = np.zeros(n_out, np.bool_)
    v = np.zeros(n_out)
    ref = np.zeros(n_out, np.int64)
    pt = np.zeros(n_in)
    qt = np.zeros(n_out)
    ca = np.zeros(n_out)
    v_old = np.zeros(n_out)
    ca_old = np.zeros(n_out)
    pt_old = np.zeros(n_in)
    qt_old = np.zeros(n_out)
    net = np.zeros(n_out)
    for s in range(p_in.shape[0]):
        for j in range(n_out):
            v[j] = 0.0
            ref[j] = 0
            if not homeo:
                adapt[j] = 0.0
            spike[j] = False
            qt[j] = 0.0
            ca[j] = 0.0
        for i in range(n_in):
            pt[i] = 0.0
        if adapt_fixed.shape[0] == n_out:
            for j in range(n_out):
                adapt[j] = adapt_fixed[j]
        encoder_seed(seeds[s], enc)
        label = teacher[s]
        for t in range(steps):
            n_act = encoder_step(enc, p_in[s], pre, active)
            k_prev = drive(net, w, active, n_act, w_zero, spike)
            any_post = False
            for j in range(n_out):
                netg = net[j] * w_scale
                exc = max(netg, 0.0)
                inh = max(-netg, 0.0) + lateral * (k_prev - (1 if spike[j] else 0))
                if label >= 0:
                    if j == label:
                        exc += t_drive
                    else:
                        inh += t_inh
                exc = min(exc, in_max)
                inh = min(max(inh, 0.0), in_max)
                v_old[j] = v[j]
                ca_old[j] = ca[j]
                a_dec = adapt[j] * adapt_leak
                v_int = min(max(v[j] * leak + bias + exc - inh, v_lo), v_hi)
                margin[j] = v_int - (v_th + a_dec) if ref[j] == 0 else -1.0
                v_int_a[j] = v_int
                adapt[j] = a_dec
            winner = -1
            if wta:
                for j in range(n_out):
                    if margin[j] >= 0 and (winner < 0 or margin[j] > margin[winner]):
                        winner = j
            for j in range(n_out):
                v_int = v_int_a[j]
                a_dec = adapt[j]
                fire = margin[j] >= 0 and (winner == j or not wta)
                if ref[j] != 0:
                    ref[j] -= 1
                elif fire:
                    v[j] = v_int - v_th if subtract else v_reset
                    ref[j] = np.int64(t_ref)
                else:
                    v[j] = v_int
                adapt[j] = a_dec + (adapt_inc if fire else 0.0)
                post[j] = fire
                if fire:
                    any_post = True
            if learn:
                for i in range(n_in):
                    pt_old[i] = pt[i]
                for j in range(n_out):
                    qt_old[j] = qt[j]
                for j in range(n_out):
                    if post[j] and rule != 2:
                        n_rows = n_in
                    elif rule == 2 or a_minus != 0:
                        n_rows = n_act
                    else:
                        continue
                    for a in range(n_rows):
                        i = a if n_rows == n_in and post[j] and rule != 2 else active[a]
                        wv = w[i, j]
                        x = wv / w_max
                        if f_mode == 2:
                            u = x * (n_curve - 1)
                            k = min(int(u), n_curve - 2)
                            fr = u - k
                            f_up = curve_up[k] * (1.0 - fr) + curve_up[k + 1] * fr
                            f_down = curve_down[k] * (1.0 - fr) + curve_down[k + 1] * fr
                        elif f_mode == 1:
                            f_up = 1.0 - x
                            f_down = x
                        else:
                            f_up = 1.0
                            f_down = 1.0
                        m_up = 0.0
                        m_down = 0.0
                        if rule == 2:
                            if pre[i]:
                                window = ca_old[j] >= theta_l
                                high = v_old[j] >= theta_m
                                if high and window and ca_old[j] < theta_h_up:
                                    m_up = sdsp_up * f_up
                                if (not high) and window and ca_old[j] < theta_h_down:
                                    m_down = sdsp_down * f_down
                        else:
                            if post[j]:
                                m_up = a_plus * pt_old[i] * f_up
                            if pre[i]:
                                m_down = a_minus * qt_old[j] * f_down
                            if post[j]:
                                m_down += a_post * f_down
                        m_up *= gains[j]
                        m_down *= gains[j]
                        dw = m_up - m_down
                        if c2c > 0.0 and dw != 0.0:
                            # NeuroSim's pulse noise: sigma c2c of the range per pulse, sqrt(pulses)
                            dw += c2c * w_max * np.sqrt(abs(dw) / pulse) * np.random.standard_normal()
                        w[i, j] = min(max(wv + dw, 0.0), w_max)
            for i in range(n_in):
                d = pt[i] * trace_decay
                pt[i] = (trace_inc if pre[i] else d) if nearest else min(d + (trace_inc if pre[i] else 0.0),
                                                                         trace_max)
            for j in range(n_out):
                d = qt[j] * trace_decay
                qt[j] = (trace_inc if post[j] else d) if nearest else min(d + (trace_inc if post[j] else 0.0),
                                                                          trace_max)
                ca[j] = min(ca[j] * ca_decay + (ca_inc if post[j] else 0.0), ca_max)
                spike[j] = post[j]
                if post[j]:
                    counts[s, j] += 1
    return counts
