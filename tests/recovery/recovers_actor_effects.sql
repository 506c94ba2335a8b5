{#- Each relation of users to actors (patients to doctors) against truth:
    - every actor's early users (users whose days 1..early_activity_days after signup have
      elapsed) in fct_actor_panels equal truth's, exactly, and the window is truth's;
    - every actor's early sessions against the sum of its users' expected early sessions
      (truth.assigned_users: segment, own multiplier, the actor's effect, age, calendar
      and experiments all in): given those, an actor's count is Poisson, so Pearson's
      chi-square over actors has mean = actors and variance = sum(2 + 1/expected), and
      must lie within 4 of its standard deviations;
    - fct_relation_effects' share of variance between actors against the same share of the
      users' expected early sessions, within 4 standard errors of the count noise given
      them (delta method to second order, computed here from truth: the mart's own
      jackknife error also carries which actors there happen to be, so it is wider).
    A relation of fewer than 10 actors with early users is shown, not judged. -#}
with

truth_users as (

    select
        relation,
        cast(actor_id as {{ dbt.type_string() }}) as actor_id,
        expected_early_sessions as lam
    from {{ source('truth', 'assigned_users') }}

),

truth_actors as (

    select
        relation,
        actor_id,
        cast(count(*) as {{ dbt.type_float() }}) as n,
        sum(lam) as big_lambda,
        sum(lam * lam) as lam_squared
    from truth_users
    group by relation, actor_id

),

truth_totals as (

    select
        relation,
        cast(count(*) as {{ dbt.type_float() }}) as k,
        sum(n) as n,
        sum(big_lambda) as s,
        sum(lam_squared) as q,
        sum(big_lambda * big_lambda / n) as a,
        sum(n * n) as nn
    from truth_actors
    group by relation

),


-- the planted share: one-way ANOVA on the expected counts themselves (no noise)
planted as (

    select
        relation,
        k,
        n,
        s,
        (q - a) / (n - k) as w,
        ((a - s * s / n) / (k - 1) - (q - a) / (n - k)) / ((n - nn / n) / (k - 1)) as b,
        (n - nn / n) / (k - 1) as n0
    from truth_totals
    where k > 1 and n > k

),


-- d share / d SSB and d share / d SSW, through B = (SSB/(k-1) - SSW/(n-k)) / n0 and
-- W = SSW/(n-k), with share = B / (B + W)
gradients as (

    select
        *,
        b / (b + w) as variance_share,
        w / ((b + w) * (b + w)) / ((k - 1) * n0) as g_b,
        -w / ((b + w) * (b + w)) / ((n - k) * n0) - b / ((b + w) * (b + w)) / (n - k) as g_w
    from planted

),


-- per user: the linear term h (d share / d count) and the diagonal m of the quadratic
-- form; per actor, the quadratic form's variance
per_user as (

    select
        truth_users.relation,
        truth_users.lam,
        gradients.g_b * (
            2 * truth_actors.big_lambda / truth_actors.n
            - 2 * gradients.s / gradients.n - 1 / truth_actors.n + 1 / gradients.n
        )
        + gradients.g_w * (
            2 * truth_users.lam - 2 * truth_actors.big_lambda / truth_actors.n
            - 1 + 1 / truth_actors.n
        ) as h,
        gradients.g_w * (1 - 1 / truth_actors.n) + gradients.g_b / truth_actors.n as m
    from truth_users
    inner join truth_actors
        on
        truth_users.relation = truth_actors.relation
        and truth_users.actor_id = truth_actors.actor_id
    inner join gradients on truth_users.relation = gradients.relation

),

per_actor as (

    select
        truth_actors.relation,
        power(gradients.g_w * (1 - 1 / truth_actors.n) + gradients.g_b / truth_actors.n, 2)
        * truth_actors.lam_squared
        + power((gradients.g_b - gradients.g_w) / truth_actors.n, 2)
        * (truth_actors.big_lambda * truth_actors.big_lambda - truth_actors.lam_squared)
            as quadratic
    from truth_actors
    inner join gradients on truth_actors.relation = gradients.relation

),

share_variance as (

    select
        per_user.relation,
        sum(per_user.h * per_user.h * per_user.lam)
        + sum(per_user.lam * per_user.m * per_user.m)
        + 2 * sum(per_user.h * per_user.m * per_user.lam) as user_terms
    from per_user
    group by per_user.relation

),

actor_variance as (

    select
        relation,
        2 * sum(quadratic) as actor_terms
    from per_actor
    group by relation

),

panels as (

    select * from {{ ref('fct_actor_panels') }}
    where early_users > 0

),

effects as (

    select * from {{ ref('fct_relation_effects') }}

),

window_days as (

    select value from {{ source('truth', 'parameters') }}
    where parameter = 'relation.early_activity_days'

),

actor_counts as (

    select
        coalesce(panels.relation, truth_actors.relation) as relation,
        coalesce(panels.actor_id, truth_actors.actor_id) as actor_id,
        coalesce(panels.early_users, 0) as measured_users,
        coalesce(truth_actors.n, 0) as expected_users,
        coalesce(panels.early_sessions, 0) as observed_sessions,
        coalesce(truth_actors.big_lambda, 0) as expected_sessions
    from panels
    full outer join truth_actors
        on
        panels.relation = truth_actors.relation
        and panels.actor_id = truth_actors.actor_id

),

chi_square as (

    select
        relation,
        count(*) as actors,
        sum(
            (observed_sessions - expected_sessions) * (observed_sessions - expected_sessions)
            / expected_sessions
        ) as statistic,
        sum(2 + 1 / expected_sessions) as variance
    from actor_counts
    where expected_sessions > 0
    group by relation

),

-- every comparison made, in the shape make calibrate reads (macro recovery_checks)
comparisons as (

    select
        'early activity window (days)' as quantity,
        'all' as cell,
        1 as users,
        {{ var('early_activity_days') }} as measured,
        window_days.value as expected,
        0 as standard_error
    from window_days

    union all

    select
        'early users of an actor' as quantity,
        relation || '/' || actor_id as cell,
        expected_users as users,
        measured_users as measured,
        expected_users as expected,
        0 as standard_error
    from actor_counts

    union all

    select
        'chi-square of actors'' early sessions' as quantity,
        relation as cell,
        actors as users,
        statistic as measured,
        actors as expected,
        sqrt(variance) as standard_error
    from chi_square

    union all

    select
        'share of early-session variance between actors' as quantity,
        gradients.relation as cell,
        gradients.k as users,
        effects.between_actor_share as measured,
        gradients.variance_share as expected,
        sqrt(share_variance.user_terms + actor_variance.actor_terms) as standard_error
    from gradients
    left join effects on gradients.relation = effects.relation
    inner join share_variance on gradients.relation = share_variance.relation
    inner join actor_variance on gradients.relation = actor_variance.relation

)

{% if var('recovery_checks', false) %}
    {{ recovery_checks('comparisons') }}
{% else %}
    select * from comparisons
    where
        (standard_error = 0 and measured != expected)
        or measured is null
        or (
            standard_error > 0
            and users >= 10
            and abs(measured - expected) > 4 * standard_error + 1e-9 * abs(expected)
        )
{% endif %}
