"""What people write in the demo, in Chinese: request descriptions, the seller's rejections and
proposals, the buyer's statements to the platform, the arbitrator's rationales, messages,
reviews and replies. Placeholders (``{title}``, ``{refund}`` …) are filled in by the steps."""

from aftersales.models import Reason, State

DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    Reason.CHANGED_MIND: (
        "拍多了一件，{title}还没拆封，申请七天无理由退货。",
        "家里已经有同款了，{title}全新未使用，包装完好。",
        "收到后发现不太适合自己，吊牌和包装都在，想退掉。",
    ),
    Reason.WRONG_SIZE: (
        "{title}买错规格了，想换成合适的，商品没有使用过。",
        "尺码偏小，平时穿这个码这次很紧，想换大一码。",
        "下单时选错了规格，吊牌包装都在。",
    ),
    Reason.QUALITY_PROBLEM: (
        "{title}{fault}，影响正常使用。",
        "收到没几天就发现{fault}，已经拍了照片。",
        "{fault}，希望尽快处理。",
    ),
    Reason.NOT_AS_DESCRIBED: (
        "收到的{title}和详情页描述不一样，实物颜色比图片深很多。",
        "页面写的和实物差别太大，做工也不是宣传的那样。",
    ),
    Reason.WRONG_ITEM: (
        "我拍的是「{sku}」，收到的却是别的规格，外包装标签也不对。",
        "发错货了，收到的不是我下单的款式，标签写的是别的型号。",
    ),
    Reason.DAMAGED_IN_TRANSIT: (
        "快递送到时外箱就压坏了，{title}有破损，开箱时拍了照片。",
        "包裹外包装破了，里面的{title}摔坏了。",
    ),
    Reason.MISSING_PARTS: (
        "打开包装发现少了{part}，详情页写了是有的。",
        "收到的{title}缺少{part}，没法正常使用。",
    ),
    Reason.NOT_RECEIVED: (
        "物流好几天没更新了，一直没收到货，问快递说找不到包裹。",
        "显示已发货一周多了，物流停在中转站不动，申请退款。",
    ),
}
DESCRIPTIONS_NOT_SHIPPED = (
    "不想要了，还没发货的话麻烦直接退款，谢谢。",
    "拍重复了，麻烦取消这一件。",
)
DESCRIPTIONS_IN_TRANSIT = ("已经发货了但我不想要了，快递到了我会拒收，麻烦退款。",)

REJECTIONS_NO_REASON = (
    "商品已经拆封使用过，影响二次销售，不支持七天无理由退货，敬请谅解。",
    "吊牌已剪且有穿着痕迹，不符合无理由退货条件。",
)
REJECTIONS = (
    "亲，我们核实了出库质检记录，发货时商品完好，您的照片看不出质量问题，请补充更清晰的照片或视频。",
    "物流签收时没有反馈外包装破损，无法认定是运输损坏，建议先联系快递核实。",
    "您反馈的情况属于正常现象，不属于质量问题，给您带来困扰很抱歉。",
)
REJECTIONS_NOT_RECEIVED = ("物流显示包裹已到达您所在城市的驿站，请先去驿站查询，暂不支持仅退款。",)
FAILED_INSPECTIONS = (
    "退回的商品有明显使用痕迹，吊牌已剪，不符合退货条件。",
    "退回的商品缺少原包装和配件，质检不通过。",
)
FAILED_INSPECTIONS_DEVICES = (
    "拆机检查发现内部有进水痕迹，属于人为损坏，不在保修范围内。",
    "机身序列号与我们发出的不一致，质检不通过。",
)
PROPOSAL_NOTES = {
    "partial_keep": (
        "亲，非常抱歉给您带来不好的体验。商品不影响正常使用的话，"
        "给您退 ¥{refund}，商品您继续用，您看可以吗？"
    ),
    "comp": "亲，实在抱歉，缺的东西我们补发不了，给您补偿 ¥{comp} 作为歉意，商品您留着用。",
    "partial_return": (
        "亲，退货退款可以，赠品已经使用了，退回后给您退 ¥{refund}，来回运费我们承担。"
    ),
    "exchange": "亲，这边建议给您换一件新的，来回运费都由我们承担，您看可以吗？",
    "repair": "这个问题一般是小故障，在保修期内，寄回来我们免费维修，修好后顺丰寄回给您。",
}
REVIEW_COMMENTS_GOOD = (
    "客服回复很快，退款也很及时，好评！",
    "处理得很专业，换货很顺利。",
    "有问题马上就解决了，下次还来。",
    "",
)
REVIEW_COMMENTS_BAD = (
    "处理太慢了，等了好几天才有人回。",
    "客服态度一般，最后还是平台介入才解决。",
    "不太满意，希望改进。",
)
REVIEW_REPLIES = (
    "感谢您的评价，我们会继续努力！",
    "给您带来不便非常抱歉，我们已经改进了售后流程。",
    "谢谢亲的支持，欢迎再次光临～",
)
DECLINES = (
    "补偿太少了，我还是想退货退款。",
    "商品有质量问题，不同意部分退款。",
    "不接受这个方案，希望按我的申请处理。",
)
# The buyer's statement and the arbitrator's rationale, by dispute reason and by ruling outcome
# (the argument of the scenario's ``escalate:`` and ``rule:`` steps).
STATEMENTS = {
    "unfair_rejection": (
        "照片已经很清楚地拍到了问题，卖家却说看不出来，直接拒绝了，请平台介入。",
        "收到时就是坏的，卖家一直推脱，申请平台处理。",
    ),
    "unacceptable_proposal": ("卖家只愿意退一小部分，商品问题这么明显，我要求全额退款。",),
    "disputed_inspection": (
        "寄回去的时候商品是完好的，我有寄出前拍的照片，卖家说有使用痕迹不属实。",
    ),
}
RATIONALES = {
    "refund": (
        "经核实，买家提供的照片能够证明商品存在问题，卖家未能提供有效反证。判定退款 ¥{refund}。"
    ),
    "compensation": ("商品存在轻微瑕疵但不影响使用，判定卖家补偿买家 ¥{comp}，商品无需退回。"),
    "return_and_refund": (
        "双方凭证显示商品确有问题，判定买家退回商品，卖家确认收货并质检后退款 ¥{refund}。"
    ),
    "for_seller": (
        "卖家提供的出库质检记录和退回商品照片显示，问题系使用不当造成，买家的诉求不予支持，售后关闭。"
    ),
}
MESSAGES: dict[tuple[str, str | None], tuple[str, ...]] = {
    ("b", State.SUBMITTED): ("亲，麻烦尽快处理一下，谢谢！", "照片已经上传了，还需要补充什么吗？"),
    ("s", State.SUBMITTED): (
        "亲，您好，申请已收到，我们正在核实，请稍等。",
        "亲，方便的话再拍一张外包装和快递面单的照片吗？",
    ),
    ("b", State.NEGOTIATING): ("我考虑一下这个方案。", "能不能再多补偿一点？"),
    ("s", State.NEGOTIATING): ("亲，这个方案已经是我们能给的最大诚意了，麻烦您确认一下。",),
    ("b", State.REJECTED): (
        "照片拍得很清楚了，为什么拒绝？我再补充几张。",
        "我不同意拒绝的理由，实在不行我申请平台介入。",
    ),
    ("s", State.REJECTED): ("亲，如有新的凭证可以修改申请后重新提交，我们会再核实。",),
    ("b", State.AWAITING_RETURN): ("好的，我这两天寄出。", "退货地址收到了，明天寄。"),
    ("s", State.AWAITING_RETURN): ("亲，退货请不要寄到付，寄出后记得填写单号哦。",),
    ("b", State.RETURN_SHIPPED): ("已经寄出了，单号填好了，麻烦查收。",),
    ("s", State.RETURN_SHIPPED): ("好的，收到后第一时间给您处理。",),
    ("b", State.INSPECTING): ("请问质检结果怎么样了？",),
    ("s", State.INSPECTING): ("已收到退货，正在质检，请耐心等待 1-2 天。",),
    ("b", State.REPAIRING): ("请问修好了吗？大概要多久？",),
    ("s", State.REPAIRING): ("已经送修了，预计 3-5 个工作日修好寄回。",),
    ("b", State.REPLACEMENT_SHIPPED): ("看到物流了，谢谢！",),
    ("s", State.REPLACEMENT_SHIPPED): ("新的已经发出了，请注意查收，有问题随时联系。",),
    ("b", State.REPAIR_SHIPPED): ("看到物流了，收到试用后确认。",),
    ("s", State.REPAIR_SHIPPED): ("已修好并测试过，寄回单号已填写。",),
    ("b", State.DISPUTED): ("补充一下开箱时拍的照片。",),
    ("s", State.DISPUTED): (
        "我们补充出库质检记录和打包照片，发货时商品完好。",
        "快递签收时外包装无破损，附上打包照片，请平台核实。",
    ),
    ("p", State.DISPUTED): (
        "您好，平台已介入处理，请双方在 3 天内补充相关凭证。",
        "已收到双方凭证，平台会在 5 个工作日内给出处理结果。",
    ),
    ("b", None): ("好的，谢谢。",),
    ("s", None): ("亲，有问题随时联系我们。",),
    ("p", None): ("平台已关注此售后，请双方保持沟通。",),
}
