{#- One row per relation: how much of the variation in users' early activity lies between
    the actors they are linked to (a doctor's effect on their patients' practice), as a
    share of variance. One-way random-effects ANOVA over each actor's users with early days
    (method of moments), with the sampling noise of session counts taken out (a count's
    variance is its mean, so E[SSW] and E[SSB] exceed those of the users' expected counts by
    known sums of the counts themselves), and a delete-one-actor jackknife standard error,
    which also carries the variation from which actors there happen to be. -#}
with

panels as (

    select
        relation,
        actor_id,
        cast(early_users as {{ dbt.type_float() }}) as n,
        cast(early_sessions as {{ dbt.type_float() }}) as s,
        cast(early_sessions_squared as {{ dbt.type_float() }}) as q
    from {{ ref('fct_actor_panels') }}
    where early_users > 0

),

totals as (

    select
        relation,
        count(*) as actors,
        sum(n) as n,
        sum(s) as s,
        sum(q) as q,
        sum(s * s / n) as a,
        sum(s / n) as c,
        sum(n * n) as nn
    from panels
    group by relation

),


-- every estimate once with all actors (left_out null) and once without each
samples as (

    select
        relation,
        cast(null as {{ dbt.type_string() }}) as left_out,
        actors as k,
        n,
        s,
        q,
        a,
        c,
        nn
    from totals

    union all

    select
        totals.relation,
        panels.actor_id as left_out,
        totals.actors - 1 as k,
        totals.n - panels.n as n,
        totals.s - panels.s as s,
        totals.q - panels.q as q,
        totals.a - panels.s * panels.s / panels.n as a,
        totals.c - panels.s / panels.n as c,
        totals.nn - panels.n * panels.n as nn
    from totals
    inner join panels on totals.relation = panels.relation

),

anova as (

    select
        relation,
        left_out,
        k,
        n,
        s / n as mean_early_sessions,
        -- sums of squares of the expected counts: observed ones less the count noise
        (a - s * s / n) - (c - s / n) as ss_between,
        (q - a) - (s - c) as ss_within,
        (n - nn / n) / nullif(k - 1, 0) as n0
    from samples
    where k > 1 and n > k

),

components as (

    select
        relation,
        left_out,
        k,
        n,
        mean_early_sessions,
        ss_within / (n - k) as within_variance,
        (ss_between / (k - 1) - ss_within / (n - k)) / n0 as between_variance
    from anova

),

shares as (

    select
        *,
        between_variance / nullif(between_variance + within_variance, 0) as variance_share
    from components

),

jackknife as (

    select
        relation,
        count(*) as replicates,
        avg(variance_share) as mean_share,
        sum(variance_share * variance_share) as sum_sq,
        sum(variance_share) as sum_share
    from shares
    where left_out is not null
    group by relation

),

final as (

    select
        full_sample.relation,
        full_sample.k as actors_with_early_users,
        full_sample.n as early_users,
        full_sample.mean_early_sessions,
        full_sample.between_variance,
        full_sample.within_variance,
        full_sample.variance_share as between_actor_share,
        sqrt(
            greatest(
                (jackknife.replicates - 1.0) / jackknife.replicates
                * (jackknife.sum_sq - jackknife.sum_share * jackknife.mean_share),
                0
            )
        ) as between_actor_share_se
    from shares as full_sample
    inner join jackknife on full_sample.relation = jackknife.relation
    where full_sample.left_out is null

)

select * from final
